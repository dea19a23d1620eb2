using System.Runtime.CompilerServices;
using NasActors.Torch.Runtime;

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
