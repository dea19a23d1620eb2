using NasActors.Node.Commands.Bench;
using NasActors.Torch.Methods;

namespace NasActors.Node.Tests;

/// <summary>Issue 15, item 3: <c>nas benchmark-methods</c> runs every registered method by default.</summary>
public sealed class MethodBenchmarkSettingsSpec
{
    [Fact]
    public void By_default_every_registered_method_runs_spnas_only_with_a_latency_table()
    {
        Assert.Equal(TrainingMethods.Names, new MethodBenchmarkSettings { LatencyTable = "table.json" }.MethodList);
        Assert.Equal(TrainingMethods.Names.Where(n => n != "spnas"), new MethodBenchmarkSettings().MethodList);
        Assert.Contains("enas", new MethodBenchmarkSettings().MethodList);
        Assert.Equal(["darts", "oneshot"], new MethodBenchmarkSettings { Methods = "darts,oneshot" }.MethodList);
    }
}
