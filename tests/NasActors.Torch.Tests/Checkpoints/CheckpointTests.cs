using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Checkpoints;

public sealed class CheckpointTests
{
    private static SearchData Data => TestData.Embedded;

    private static SupernetTrainer Trainer(string method, long steps) =>
        new(BlockSpaces.FmnistMb(), Data.TrainLoader(16, 5),
            new SupernetTrainingOptions { Method = method, Steps = steps, BatchSize = 16, Seed = 5 }, CPU);

    [Fact]
    public void Checkpoint_round_trip_restores_weights_buffers_momentum_and_step()
    {
        using var folder = new TempFolder();
        using var trainer = Trainer(PathSamplers.Spos, 10);
        trainer.TrainStep();
        trainer.TrainStep();
        var info = trainer.SaveCheckpoint(folder.Path, Data.Metadata());

        Assert.Equal(Path.Combine(folder.Path, info.Sha256 + Checkpoint.Extension), info.Path);
        Assert.Equal(info.Sha256, Checkpoint.Sha256Of(info.Path));
        Assert.Single(Directory.GetFiles(folder.Path));

        using var loaded = Checkpoint.Load(info.Path, info.Sha256);
        using var restored = Trainer(PathSamplers.Spos, 10);
        restored.Restore(loaded);
        Assert.Equal(2, restored.Step);
        var original = trainer.Network.state_dict();
        foreach (var (name, tensor) in restored.Network.state_dict())
            Assert.True(tensor.eq(original[name]).all().item<bool>(), $"{name} differs after restore");
        Assert.NotEmpty(loaded.WithPrefix("momentum/"));
        Assert.Equal(Data.Bundle.Name, loaded.Require("dataset"));
    }

    [Fact]
    public void A_corrupted_checkpoint_is_refused_with_a_message_naming_the_file()
    {
        using var folder = new TempFolder();
        var info = SmallCheckpoint(folder);
        var bytes = File.ReadAllBytes(info.Path);
        bytes[bytes.Length / 2] ^= 0x40;
        var corrupted = folder.File("corrupted.nasckpt");
        File.WriteAllBytes(corrupted, bytes);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(corrupted));
        Assert.Contains("corrupted.nasckpt", e.Message);
        Assert.Contains("SHA-256", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(-1)]
    public void A_truncated_checkpoint_is_refused(int keep)
    {
        using var folder = new TempFolder();
        var info = SmallCheckpoint(folder);
        var bytes = File.ReadAllBytes(info.Path);
        var truncated = folder.File("truncated.nasckpt");
        File.WriteAllBytes(truncated, bytes.AsSpan(0, keep < 0 ? bytes.Length - 1 : keep).ToArray());
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(truncated));
        Assert.Contains("truncated.nasckpt", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_refused_by_its_magic()
    {
        using var folder = new TempFolder();
        var path = folder.File("notes.nasckpt");
        File.WriteAllText(path, "these are not the weights you are looking for, not at all, no");
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void A_checkpoint_whose_hash_differs_from_the_one_asked_for_is_refused()
    {
        using var folder = new TempFolder();
        var info = SmallCheckpoint(folder);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(info.Path, new string('0', 64)));
        Assert.Contains("expected", e.Message);
    }

    [Fact]
    public void A_checkpoint_of_another_space_or_method_is_refused_on_restore()
    {
        using var folder = new TempFolder();
        var info = SmallCheckpoint(folder);
        using var loaded = Checkpoint.Load(info.Path);
        using var fair = Trainer(PathSamplers.FairNas, 10);
        var e = Assert.Throws<CheckpointException>(() => fair.Restore(loaded));
        Assert.Contains("spos", e.Message);
    }

    [Fact]
    public void Training_2N_steps_straight_equals_N_steps_then_resume_then_N_steps()
    {
        const int n = 3;
        foreach (var method in new[] { PathSamplers.Spos, PathSamplers.FairNas })
        {
            using var folder = new TempFolder();
            using var straight = Trainer(method, 2 * n);
            while (!straight.IsComplete) straight.TrainStep();

            string path;
            using (var first = Trainer(method, 2 * n))
            {
                for (var s = 0; s < n; s++) first.TrainStep();
                path = first.SaveCheckpoint(folder.Path, Data.Metadata()).Path;
            }
            using var resumed = Trainer(method, 2 * n);
            using (var loaded = Checkpoint.Load(path)) resumed.Restore(loaded);
            while (!resumed.IsComplete) resumed.TrainStep();

            var expected = straight.Network.state_dict();
            foreach (var (name, tensor) in resumed.Network.state_dict())
                Assert.True(tensor.eq(expected[name]).all().item<bool>(), $"{method}: {name} differs between straight and resumed training");
        }
    }

    [Fact]
    public void A_checkpoint_written_for_another_definition_of_the_space_is_refused_by_training_and_scoring()
    {
        using var folder = new TempFolder();
        using var trainer = Trainer(PathSamplers.FairNas, 10);
        trainer.TrainStep();
        var own = trainer.SaveCheckpoint(folder.Path, Data.Metadata());
        using (var loaded = Checkpoint.Load(own.Path))
            Assert.Equal(BlockSpaces.FmnistMb().DefinitionHash(), loaded.Require("space-definition"));

        // The same tensors and metadata, but written by a build whose fmnist-mbconv downsampled elsewhere (same shapes).
        var mine = BlockSpaces.FmnistMb();
        var other = new MbConvSpace(mine.Name, mine.Input, mine.Classes, mine.StemChannels, mine.StemStride, mine.SeparableChannels,
            mine.Layers.Select(l => (l.OutChannels, l.Stride)).ToList(), mine.LastChannels, mine.Dropout,
            separableStride: mine.SeparableStride == 1 ? 2 : 1);
        Dictionary<string, string> metadata;
        List<(string, Tensor)> tensors;
        using (var loaded = Checkpoint.Load(own.Path))
        {
            metadata = new Dictionary<string, string>(loaded.Metadata) { ["space-definition"] = other.DefinitionHash() };
            tensors = loaded.WithPrefix("").Select(kv => (kv.Key, kv.Value.clone())).ToList();
        }
        var foreign = Checkpoint.Save(folder.Path, 1, metadata, tensors);
        foreach (var (_, t) in tensors) t.Dispose();

        using var reloaded = Checkpoint.Load(foreign.Path);
        using var resumer = Trainer(PathSamplers.FairNas, 10);
        var resume = Assert.Throws<CheckpointException>(() => resumer.Restore(reloaded));
        Assert.Contains("another definition of space 'fmnist-mbconv'", resume.Message);
        var score = Assert.Throws<CheckpointException>(() => SupernetCheckpoint.LoadNetwork(reloaded, CPU).Dispose());
        Assert.Contains("another definition of space 'fmnist-mbconv'", score.Message);
    }

    private static CheckpointInfo SmallCheckpoint(TempFolder folder)
    {
        using var trainer = Trainer(PathSamplers.Spos, 10);
        trainer.TrainStep();
        return trainer.SaveCheckpoint(folder.Path, Data.Metadata());
    }
}
