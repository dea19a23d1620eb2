using NasActors.Build;
using NasActors.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Runtime;

/// <summary>
/// Proves TorchSharp's native library loads from a plain build (on Debian 12 only thanks to the build's ELF fix,
/// src/Build/TorchSharpNativeFix.targets).
/// </summary>
public class TorchSharpLoadsTests
{
    [Fact]
    public void Conv_forward_runs_on_an_embedded_batch()
    {
        using var scope = NewDisposeScope();
        var loader = new BatchLoader(EmbeddedFashionMnist.Train, 64, seed: 1, Normalization.FashionMnist);
        var batch = loader.GetBatch(0);
        using var conv = nn.Conv2d(1, 16, 3, padding: 1);
        var y = nn.functional.relu(conv.forward(batch.Images));
        Assert.Equal(new long[] { 64, 16, 28, 28 }, y.shape);
        var loss = nn.functional.cross_entropy(y.mean([2, 3])[.., ..10], batch.Labels);
        Assert.True(float.IsFinite(loss.item<float>()));
    }

    [Fact]
    public void Output_copy_of_libLibTorchSharp_is_patched_where_the_system_needs_it_and_the_package_cache_is_not()
    {
        var output = Directory.GetFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        Assert.NotEmpty(output);
        var libstdcxx = SystemLibStdCxx.Locate();
        var needed = libstdcxx == null || !ElfVersionPatcher.ContainsString(libstdcxx, "GLIBCXX_3.4.32");
        foreach (var file in output)
        {
            var req = ElfVersionPatcher.ReadVersionRequirements(File.ReadAllBytes(file), file)
                .Where(r => r.Version == "GLIBCXX_3.4.32").ToList();
            if (needed) Assert.All(req, r => Assert.True(r.IsWeak, $"{file}: {r.Version} not weak"));
        }

        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                    ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp"); // the managed package carries libLibTorchSharp.so
        var originals = Directory.Exists(original) ? Directory.GetFiles(original, "libLibTorchSharp.so", SearchOption.AllDirectories) : [];
        foreach (var file in originals)
        {
            var req = ElfVersionPatcher.ReadVersionRequirements(File.ReadAllBytes(file), file).Where(r => r.Version == "GLIBCXX_3.4.32");
            Assert.All(req, r => Assert.False(r.IsWeak, $"the package cache copy {file} was modified"));
        }
    }
}
