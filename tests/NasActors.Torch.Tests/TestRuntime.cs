using System.Runtime.CompilerServices;
using NasActors.Torch.Runtime;

// One test at a time: a network's weight initialization draws from LibTorch's global generator right after seeding it
// (BlockNetwork.Build serializes the builds, not other draws), and several tests draw from that generator directly
// (torch.randn inputs); run in parallel they interleave with a build, and the bitwise tests (resume equivalence, path
// workers, characterization) then compare networks initialised differently (seen in CI: PathWorkerTests, ProxylessNAS
// resume). The product builds every module through BlockNetwork's lock.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace NasActors.Torch.Tests;

/// <summary>
/// Sets the intra-op thread count once, before any test runs. The bitwise tests (resume equivalence, characterization)
/// compare trainings done at different times of the run; had the count changed between them (the runtime's first
/// initialization by TorchRuntimeTests, on a machine whose default is not 2), the two halves would sum in other orders.
/// </summary>
internal static class TestRuntime
{
    [ModuleInitializer]
    internal static void Initialize() => TorchRuntime.Initialize(new TorchRuntimeOptions { Device = "cpu", Threads = 2 });
}
