using System.Runtime.InteropServices;
using NasActors.Torch.Runtime;

namespace NasActors.Torch.Tests.Runtime;

public class HostMemoryTests
{
    [Fact]
    public void Retain_keeps_the_memory_a_step_frees_for_the_next_step_instead_of_faulting_it_in_again()
    {
        // What a training step does to the C heap, on a thread of its own (an arena other than the main one, as a
        // trainer in the actor system runs): allocate a few hundred MB of activations in blocks of several MB, write
        // them, free them all. With glibc's defaults every cycle gave the pages back and faulted them in again
        // (about 49,000 faults per cycle here); retained, later cycles reuse them.
        // Applied whatever MALLOC_* variables this machine sets: which of them wins is the next test's concern.
        Assert.True(HostMemory.ApplyRetain().Applied);
        const int blocks = 24, blockBytes = 8 << 20, page = 4096, cycles = 4;
        var faults = new long[cycles];
        var worker = new Thread(() =>
        {
            for (var cycle = 0; cycle < cycles; cycle++)
            {
                var before = ThreadMinorFaults();
                var pointers = new IntPtr[blocks];
                for (var b = 0; b < blocks; b++)
                {
                    pointers[b] = Marshal.AllocHGlobal(blockBytes); // malloc
                    for (var offset = 0; offset < blockBytes; offset += page) Marshal.WriteByte(pointers[b], offset, (byte)cycle);
                }
                for (var b = 0; b < blocks; b++) Marshal.FreeHGlobal(pointers[b]);
                faults[cycle] = ThreadMinorFaults() - before;
            }
        });
        worker.Start();
        worker.Join();
        const long pagesPerCycle = (long)blocks * blockBytes / page;
        Assert.True(faults[0] > pagesPerCycle / 2, $"the first cycle should fault its pages in: {faults[0]} of {pagesPerCycle}");
        for (var cycle = 1; cycle < cycles; cycle++)
            Assert.True(faults[cycle] < pagesPerCycle / 20, $"cycle {cycle} faulted {faults[cycle]} pages of {pagesPerCycle} (all cycles: {string.Join(", ", faults)})");
    }

    [Fact]
    public void A_users_malloc_settings_a_preloaded_allocator_or_another_C_library_are_left_alone()
    {
        static string? Reason(HostMemoryPolicy policy, bool glibc, params (string Name, string Value)[] environment) =>
            HostMemory.ReasonToLeaveAlone(policy, glibc, name => environment.FirstOrDefault(e => e.Name == name).Value);

        Assert.Null(Reason(HostMemoryPolicy.Retain, true));
        Assert.Null(Reason(HostMemoryPolicy.Retain, true, ("GLIBC_TUNABLES", "glibc.pthread.rseq=0"), ("LD_PRELOAD", "libfoo.so")));
        Assert.Contains("'system'", Reason(HostMemoryPolicy.System, true));
        Assert.Contains("not Linux with glibc", Reason(HostMemoryPolicy.Retain, false));
        foreach (var variable in HostMemory.UserVariables)
            Assert.Contains($"{variable} is set", Reason(HostMemoryPolicy.Retain, true, (variable, "1048576")));
        Assert.Contains("GLIBC_TUNABLES", Reason(HostMemoryPolicy.Retain, true, ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=0")));
        Assert.Contains("jemalloc", Reason(HostMemoryPolicy.Retain, true, ("LD_PRELOAD", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2")));
        Assert.Contains("tcmalloc", Reason(HostMemoryPolicy.Retain, true, ("LD_PRELOAD", "libtcmalloc_minimal.so.4")));
    }

    [Fact]
    public void Policy_names_parse_and_an_unknown_one_is_named_in_the_error()
    {
        Assert.Equal(HostMemoryPolicy.Retain, HostMemory.Parse("retain"));
        Assert.Equal(HostMemoryPolicy.System, HostMemory.Parse(" System "));
        var e = Assert.Throws<ArgumentException>(() => HostMemory.Parse("jemalloc"));
        Assert.Contains("'jemalloc'", e.Message);
        Assert.Contains("retain or system", e.Message);
    }

    [Fact]
    public void Retain_gives_the_same_settings_to_other_processes_through_glibcs_variables()
    {
        var info = HostMemory.ApplyRetain();
        Assert.True(info.Applied, info.Description);
        Assert.Equal(HostMemory.RetainMmapThreshold.ToString(), info.EnvironmentEquivalent["MALLOC_MMAP_THRESHOLD_"]);
        Assert.Equal(HostMemory.RetainTrimThreshold.ToString(), info.EnvironmentEquivalent["MALLOC_TRIM_THRESHOLD_"]);
        Assert.Equal(HostMemory.RetainTopPad.ToString(), info.EnvironmentEquivalent["MALLOC_TOP_PAD_"]);
        // One arena per core, not glibc's 8: threads run one after another no longer keep a step's memory each.
        Assert.Equal(Math.Max(2, Environment.ProcessorCount).ToString(), info.EnvironmentEquivalent["MALLOC_ARENA_MAX"]);
        Assert.Contains("arenas", info.Description);
        Assert.Empty(HostMemory.Configure(HostMemoryPolicy.System).EnvironmentEquivalent);
    }

    private static long ThreadMinorFaults()
    {
        const int RUSAGE_THREAD = 1;
        if (getrusage(RUSAGE_THREAD, out var usage) != 0) throw new InvalidOperationException("getrusage failed");
        return usage.MinorFaults;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out RUsage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxResidentKb, SharedKb, DataKb, StackKb, MinorFaults, MajorFaults, Swaps, BlockInputs, BlockOutputs,
            MessagesSent, MessagesReceived, Signals, VoluntarySwitches, InvoluntarySwitches;
    }
}
