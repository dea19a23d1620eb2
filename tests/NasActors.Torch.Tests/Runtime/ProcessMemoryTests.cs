using NasActors.Torch.Runtime;

namespace NasActors.Torch.Tests.Runtime;

public sealed class ProcessMemoryTests
{
    [Fact]
    public void Resident_memory_follows_touched_memory_and_the_peak_is_never_below_it()
    {
        Assert.True(OperatingSystem.IsLinux(), "ProcessMemory reads /proc/self/status: Linux only (the project's platform)");
        var before = ProcessMemory.ResidentBytes()!.Value;
        var block = new byte[256 << 20];
        for (var i = 0; i < block.Length; i += 4096) block[i] = 1;
        var resident = ProcessMemory.ResidentBytes()!.Value;
        var peak = ProcessMemory.PeakResidentBytes()!.Value;
        GC.KeepAlive(block);
        Assert.True(resident - before >= 200L << 20, $"VmRSS {before} -> {resident} after touching 256 MiB");
        Assert.True(peak >= resident, $"VmHWM {peak} below VmRSS {resident}");
    }
}
