using System.Security.Cryptography;
using System.Text;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Training;

/// <summary>
/// Pins SPOS and FairNAS supernet training bitwise: the SHA-256 of every tensor a checkpoint holds (weights, BatchNorm
/// statistics, momentum) after a few steps on the embedded Fashion-MNIST subset. The hashes were taken from the
/// trainer before training methods became pluggable, so a refactoring that changes one bit of what SPOS or FairNAS
/// compute fails here. They hold for this LibTorch build on an x86-64 CPU; a LibTorch upgrade may change them
/// legitimately (then re-pin them from the commit before the change, not after).
/// </summary>
public sealed class TrainingCharacterizationTests
{
    [Theory]
    [InlineData("fmnist-mbconv", "spos", 1, false, 0, "97027961a3849eafc75fbf254d6177d1d40c0d7367036b07c2b0078e6281af47")]
    [InlineData("fmnist-mbconv", "spos", 1, false, 3, "0f70bf00b268f42e412e077bfbf10ffbd977c1eac0d014067d301fff9f9663cb")]
    [InlineData("fmnist-shufflenet", "spos", 1, false, 0, "12773acaea2ebc5a00d29853641f6bd607c68e946ae5a9808a497ed80b0e9636")]
    [InlineData("fmnist-mbconv", "fairnas", 1, false, 0, "0572f5c218fc7ab8b64464804a769cbff797ab001bb5b3c748df411e0589503a")]
    [InlineData("fmnist-mbconv", "fairnas", 2, false, 0, "0572f5c218fc7ab8b64464804a769cbff797ab001bb5b3c748df411e0589503a")]
    [InlineData("fmnist-mbconv", "fairnas", 2, true, 0, "58a9b349b69cb788c6a22f2c194cde259745b1c002ed90d5eb60847abfa10bef")]
    public void SPOS_and_FairNAS_training_is_bitwise_what_it_was(string space, string method, int pathWorkers, bool meanGradients,
        int flopsBands, string expected)
    {
        using var folder = new TempFolder();
        using var trainer = new SupernetTrainer(BlockSpaces.Get(space), TestData.Embedded.TrainLoader(8, 3), new SupernetTrainingOptions
        {
            Method = method, Steps = 4, BatchSize = 8, Seed = 3, MeanGradientOverPaths = meanGradients, WarmupSteps = 1, FlopsBands = flopsBands,
        }, CPU, pathWorkers);
        while (!trainer.IsComplete) trainer.TrainStep();
        var info = trainer.SaveCheckpoint(folder.Path);
        using var loaded = Checkpoint.Load(info.Path);
        Assert.Equal(expected, TensorHash(loaded));
    }

    /// <summary>SHA-256 over the names, shapes and bytes of the weights, buffers and momentum, in name order.</summary>
    private static string TensorHash(LoadedCheckpoint checkpoint)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in checkpoint.Tensors
                     .Where(kv => kv.Key.StartsWith("model/", StringComparison.Ordinal) || kv.Key.StartsWith("momentum/", StringComparison.Ordinal))
                     .OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{name}[{string.Join(",", tensor.shape)}]"));
            sha.AppendData(tensor.contiguous().bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
