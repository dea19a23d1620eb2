using System.Runtime.InteropServices;

namespace NasActors.Torch.Runtime;

/// <summary>How a tensor process's C allocator treats the memory LibTorch frees on the host.</summary>
public enum HostMemoryPolicy
{
    /// <summary>
    /// Keep freed tensor memory in the process for the next step (glibc malloc: mmap threshold
    /// <see cref="HostMemory.RetainMmapThreshold"/>, trim threshold <see cref="HostMemory.RetainTrimThreshold"/>, top pad
    /// <see cref="HostMemory.RetainTopPad"/>).
    /// </summary>
    Retain,

    /// <summary>Leave the C library's allocator as it is.</summary>
    System,
}

/// <summary>What <see cref="HostMemory.Configure"/> did: whether it changed the allocator, and in words what holds.</summary>
public sealed record HostMemoryInfo(bool Applied, string Description)
{
    /// <summary>
    /// The environment variables that give another process (e.g. a PyTorch reference) the same allocator settings
    /// glibc reads at start; empty when nothing was applied.
    /// </summary>
    public IReadOnlyDictionary<string, string> EnvironmentEquivalent { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Sets up the C allocator that LibTorch's CPU tensors come from. glibc's malloc serves a request above its mmap
/// threshold (128 KiB, rising to the largest block freed, at most 32 MiB) with a mapping of its own, gives the top of a
/// heap back to the kernel once more than twice that is free there, and unmaps a thread arena's heap once it is all
/// free. A training step frees its activations at its end, so with the defaults every step gave back a few hundred MB
/// and faulted them in again (README, step benchmark: at batch 128, about 30 times the page faults and a fifth fewer
/// images/s). PyTorch's CPU performance guide gives the same cause for its advice to preload jemalloc or tcmalloc;
/// glibc's own settings, set here through mallopt, do the same without another library.
/// <para>
/// The user's own choice wins: with any of glibc's malloc environment variables or tunables set, or another allocator
/// preloaded, nothing is changed. On other C libraries (musl) and other systems nothing is changed either.
/// </para>
/// </summary>
public static class HostMemory
{
    /// <summary>Blocks up to this size come from the heap, not from a mapping of their own (glibc's maximum, 32 MiB).</summary>
    public const int RetainMmapThreshold = 32 * 1024 * 1024;

    /// <summary>Free memory at the top of a heap is given back to the kernel only beyond this (the most mallopt takes).</summary>
    public const int RetainTrimThreshold = int.MaxValue;

    /// <summary>
    /// Kept free at the top of every heap, and added to each growth of the main one: with it, the 64 MiB heaps of the
    /// arenas other threads allocate from are not unmapped when a step frees them entirely (glibc does that whatever
    /// the trim threshold; a trainer on a thread other than the main one then faulted 50-210 thousand pages per 30
    /// steps at batch 128 against 15-25 thousand with the pad).
    /// </summary>
    public const int RetainTopPad = 64 * 1024 * 1024;

    /// <summary>
    /// At most this many malloc arenas (glibc's default: 8 per core). A node runs every evaluation and training on a
    /// thread of its own, and glibc hands new threads new arenas; with freed memory kept in each (the settings above),
    /// the process grew by one step's working set per arena: a method study's resident memory rose 0.5 to 2.8 GiB over
    /// 12 stand-alone trainings, and to 8 GiB over a night's 108 (docs/method-study.md). One arena per core keeps the
    /// threads that run at once apart (2.8 GiB fell to 0.8 with one arena in all).
    /// </summary>
    public static int RetainArenaMax => Math.Max(2, Environment.ProcessorCount);

    /// <summary>Environment variables through which a user sets glibc's malloc; any of them set leaves it to the user.</summary>
    public static IReadOnlyList<string> UserVariables { get; } =
        ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_", "MALLOC_ARENA_MAX"];

    private static readonly string[] PreloadedAllocators = ["jemalloc", "tcmalloc", "mimalloc"];

    private const int M_TRIM_THRESHOLD = -1;
    private const int M_TOP_PAD = -2;
    private const int M_MMAP_THRESHOLD = -3;
    private const int M_ARENA_MAX = -8;

    /// <summary>
    /// What <paramref name="policy"/> means in this environment: null when the allocator is to be changed, else why not
    /// (a pure function of the policy, the system and the environment variables).
    /// </summary>
    public static string? ReasonToLeaveAlone(HostMemoryPolicy policy, bool linuxWithGlibc, Func<string, string?> environment)
    {
        if (policy == HostMemoryPolicy.System) return "the C library's defaults (host memory policy 'system')";
        if (!linuxWithGlibc) return "the C library's defaults (not Linux with glibc)";
        foreach (var name in UserVariables)
            if (!string.IsNullOrEmpty(environment(name))) return $"left to the environment ({name} is set)";
        if (environment("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
            return "left to the environment (GLIBC_TUNABLES sets glibc.malloc)";
        if (environment("LD_PRELOAD") is { } preload && PreloadedAllocators.FirstOrDefault(a => preload.Contains(a, StringComparison.OrdinalIgnoreCase)) is { } allocator)
            return $"left to the preloaded {allocator} (LD_PRELOAD)";
        return null;
    }

    /// <summary>Applies <paramref name="policy"/> to this process's allocator (process-wide; call once, at start).</summary>
    public static HostMemoryInfo Configure(HostMemoryPolicy policy)
    {
        var reason = ReasonToLeaveAlone(policy, IsLinuxWithGlibc(), Environment.GetEnvironmentVariable);
        return reason != null ? new HostMemoryInfo(false, reason) : ApplyRetain();
    }

    /// <summary>Sets glibc's malloc to <see cref="HostMemoryPolicy.Retain"/>, whatever the environment says (Linux with glibc only).</summary>
    public static HostMemoryInfo ApplyRetain()
    {
        var settings = new (int Parameter, string Variable, int Value)[]
        {
            (M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", RetainMmapThreshold),
            (M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_", RetainTrimThreshold),
            (M_TOP_PAD, "MALLOC_TOP_PAD_", RetainTopPad),
            (M_ARENA_MAX, "MALLOC_ARENA_MAX", RetainArenaMax),
        };
        foreach (var (parameter, variable, value) in settings)
            if (Glibc.mallopt(parameter, value) != 1)
                throw new TorchRuntimeException($"glibc's mallopt refused {variable.TrimEnd('_').ToLowerInvariant()} = {value}; run with host memory policy 'system'.");
        return new HostMemoryInfo(true, $"retain (glibc malloc: blocks up to {RetainMmapThreshold >> 20} MiB from its heaps, freed memory kept up to {RetainTrimThreshold / (double)(1 << 30):F0} GiB, heaps padded by {RetainTopPad >> 20} MiB, at most {RetainArenaMax} arenas)")
        {
            EnvironmentEquivalent = settings.ToDictionary(s => s.Variable, s => s.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
    }

    /// <summary>Parses a policy name as the command line and configuration spell it: retain or system.</summary>
    public static HostMemoryPolicy Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "retain" => HostMemoryPolicy.Retain,
        "system" => HostMemoryPolicy.System,
        _ => throw new ArgumentException($"Host memory policy '{text}' is not known: use retain or system."),
    };

    private static bool IsLinuxWithGlibc()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return Glibc.gnu_get_libc_version() != IntPtr.Zero; }
        catch (EntryPointNotFoundException) { return false; }
        catch (DllNotFoundException) { return false; }
    }

    private static class Glibc
    {
        [DllImport("libc", ExactSpelling = true)]
        public static extern int mallopt(int param, int value);

        [DllImport("libc", ExactSpelling = true)]
        public static extern IntPtr gnu_get_libc_version();
    }
}
