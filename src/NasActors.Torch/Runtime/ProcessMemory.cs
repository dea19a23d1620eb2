namespace NasActors.Torch.Runtime;

/// <summary>The process's own resident memory, as the kernel counts it (Linux /proc/self/status).</summary>
public static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM) in bytes, or null where /proc is not there.</summary>
    public static long? PeakResidentBytes() => StatusField("VmHWM:");

    /// <summary>Current resident set size (VmRSS) in bytes, or null where /proc is not there.</summary>
    public static long? ResidentBytes() => StatusField("VmRSS:");

    private static long? StatusField(string name)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
        // "VmHWM:    123456 kB"
        return line?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var kb, "kB"] && long.TryParse(kb, out var k) ? k * 1024 : null;
    }
}
