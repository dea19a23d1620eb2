using NasActors.Node.Commands.Bench;

namespace NasActors.Node.Tests;

/// <summary>The reading of nvidia-smi's CSV by the GPU memory probe of <c>nas benchmark-methods</c>.</summary>
public sealed class GpuMemoryProbeSpec
{
    [Fact]
    public void The_used_memory_of_the_rows_of_a_process_or_device_is_summed_in_bytes()
    {
        const string apps = "4242, 1530\n17, 800\n4242, 10\n";
        Assert.Equal(1540L * 1048576, GpuMemoryProbe.Sum(apps, "4242"));
        Assert.Equal(800L * 1048576, GpuMemoryProbe.Sum(apps, "17"));
        Assert.Null(GpuMemoryProbe.Sum(apps, "99"));
        Assert.Equal(2048L * 1048576, GpuMemoryProbe.Sum("0, 2048\n1, 9000\n", "0"));
    }

    [Fact]
    public void Rows_that_are_not_numbers_count_for_nothing()
    {
        Assert.Null(GpuMemoryProbe.Sum("4242, [N/A]\n", "4242"));
        Assert.Null(GpuMemoryProbe.Sum("", "4242"));
    }

    [Theory]
    [InlineData("cuda", 0)]
    [InlineData("cuda:3", 3)]
    [InlineData("auto", 0)]
    [InlineData("CUDA:1", 1)]
    public void The_GPU_index_comes_from_the_device_name(string device, int index) => Assert.Equal(index, GpuMemoryProbe.GpuIndex(device));
}
