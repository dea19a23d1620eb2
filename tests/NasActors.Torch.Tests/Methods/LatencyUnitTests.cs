using NasActors.Core.Costs;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods;
using NasActors.Torch.Methods.FbNet;
using NasActors.Torch.Methods.ProxylessNas;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

/// <summary>
/// The log-latency losses (FBNet's CE * alpha * (log LAT)^beta, ProxylessNAS's (log LAT / log ref)^beta) on any positive
/// table: latency is measured in a unit in which every architecture exceeds 1 (LatencyLoss.LogUnit), so a table of
/// sub-millisecond entries (the measured CPU table of fmnist-mbconv sums to about 0.7 ms; a GPU's are smaller still)
/// trains instead of being refused or producing NaN.
/// </summary>
public sealed class LatencyUnitTests
{
    /// <summary>Choice c of every layer takes 2^c x <paramref name="scale"/> ms, plus 2 x scale fixed.</summary>
    private static AdditiveCostModel SteepTable(BlockSpace space, double scale) => new(space, new Dictionary<string, (double, double[][])>
    {
        [CostMetrics.Latency] = (2.0 * scale, space.ChoiceCounts.Select(m => Enumerable.Range(0, m).Select(c => Math.Pow(2, c) * scale).ToArray()).ToArray()),
    });

    [Fact]
    public void The_log_unit_is_1_ms_from_e_ms_up_and_the_fastest_over_e_below()
    {
        Assert.Equal(1.0, LatencyLoss.LogUnit(8));
        Assert.Equal(1.0, LatencyLoss.LogUnit(Math.E));
        Assert.Equal(0.7 / Math.E, LatencyLoss.LogUnit(0.7), 15);
        Assert.Equal(1.0, Math.Log(0.7 / LatencyLoss.LogUnit(0.7)), 12);
        Assert.Equal(0.1, LatencyLoss.LogUnit(0.7, 0.1));
    }

    [Fact]
    public void A_unit_not_below_the_fastest_latency_or_a_table_of_zeros_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => LatencyLoss.LogUnit(0.7, 1.0));
        Assert.Contains("latency-unit 1 ms", e.Message);
        Assert.Contains("0.7 ms", e.Message);
        Assert.Contains("positive latency", Assert.Throws<ArgumentException>(() => LatencyLoss.LogUnit(0)).Message);
    }

    private static (double TableLatency, double Loss, bool FiniteAlphas) Train(SupernetTrainingOptions options, AdditiveCostModel table, int steps = 6)
    {
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(options);
        using var trainer = new SupernetTrainer(BlockSpaces.FmnistMb(), weights, options, CPU, 1, architecture, table);
        StepMetrics? last = null;
        for (var s = 0; s < steps; s++) last = trainer.TrainStep();
        var finite = ((DifferentiableMethod)trainer.Method).Alphas.All(a => a.isfinite().all().item<bool>());
        return (table.Cost(CostMetrics.Latency, trainer.Method.Distribution!.Argmax()), last!.Loss, finite);
    }

    [Fact]
    public void FBNet_trains_on_a_table_of_sub_millisecond_latencies_and_its_latency_loss_still_steers_it()
    {
        var space = BlockSpaces.FmnistMb();
        var table = SteepTable(space, 1e-3); // fastest architecture 0.008 ms
        SupernetTrainingOptions Options(double beta) => FbNetMethod.Recipe(new SupernetTrainingOptions { Steps = 6, BatchSize = 8, Seed = 3 }) with
        {
            Architecture = new ArchitectureOptions { LatencyBeta = beta },
        };
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(Options(0.6));
        using (var trainer = new SupernetTrainer(space, weights, Options(0.6), CPU, 1, architecture, table))
            Assert.Equal(0.008 / Math.E, ((FbNetMethod)trainer.Method).LatencyUnit, 12);
        var off = Train(Options(0), table);
        var on = Train(Options(FbNetMethod.LatencyBeta), table);
        Assert.True(on.FiniteAlphas && double.IsFinite(on.Loss), $"loss {on.Loss}");
        Assert.True(on.TableLatency < off.TableLatency, $"table latency of the derived architecture: {on.TableLatency} ms with the loss on, {off.TableLatency} ms off");
    }

    [Fact]
    public void ProxylessNAS_multiplicative_loss_trains_on_a_sub_millisecond_table()
    {
        var options = ProxylessNasMethod.Recipe(new SupernetTrainingOptions { Steps = 4, BatchSize = 8, Seed = 3 }) with
        {
            Architecture = new ArchitectureOptions { LatencyLoss = "multiplicative", LatencyReference = 0.01 },
        };
        var (_, loss, finite) = Train(options, SteepTable(BlockSpaces.FmnistMb(), 1e-3), steps: 4);
        Assert.True(finite && double.IsFinite(loss), $"loss {loss}");
    }

    [Fact]
    public void FBNet_keeps_1_ms_as_its_unit_for_a_table_from_e_ms_up()
    {
        var options = FbNetMethod.Recipe(new SupernetTrainingOptions { Steps = 2, BatchSize = 8, Seed = 3 });
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(options);
        using var trainer = new SupernetTrainer(BlockSpaces.FmnistMb(), weights, options, CPU, 1, architecture, SteepTable(BlockSpaces.FmnistMb(), 1));
        Assert.Equal(1.0, ((FbNetMethod)trainer.Method).LatencyUnit);
    }

    [Fact]
    public void A_latency_table_measured_for_another_space_is_refused_naming_both()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.json");
        var space = BlockSpaces.FmnistMb();
        LatencyLoss.WriteTable(path, 0.1, space.ChoiceCounts.Select(m => Enumerable.Repeat(0.05, m).ToArray()).ToArray(),
            new Dictionary<string, object> { ["space"] = "fmnist-shufflenet" });
        var e = Assert.Throws<ArgumentException>(() => LatencyLoss.ReadTable(path, space));
        Assert.Contains(path, e.Message);
        Assert.Contains("'fmnist-shufflenet', not 'fmnist-mbconv'", e.Message);
    }
    [Theory]
    [InlineData("{\"fixed\": 0.1, \"layers\": [[0.1, \"fast\"]]}", "'layers'[0][1] must be a number of milliseconds >= 0, not \"fast\"")]
    [InlineData("{\"fixed\": 0.1, \"layers\": [[0.1, -2]]}", "'layers'[0][1] must be a number of milliseconds >= 0, not -2")]
    [InlineData("{\"fixed\": 0.1, \"layers\": [[0.1], 7]}", "'layers'[1] must be an array, not 7")]
    [InlineData("{\"fixed\": 0.1, \"layers\": {\"a\": 1}}", "'layers' must be an array, not {\"a\": 1}")]
    [InlineData("{\"fixed\": null, \"layers\": [[0.1]]}", "'fixed' must be a number of milliseconds >= 0, not null")]
    [InlineData("{\"fixed\": 1e400, \"layers\": [[0.1]]}", "'fixed' must be a number of milliseconds >= 0, not 1e400")]
    [InlineData("[1, 2]", "it needs 'fixed' (ms) and 'layers'")]
    [InlineData("", "Latency table 't': ")]
    public void A_malformed_latency_table_is_refused_naming_where(string json, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => LatencyLoss.ParseTable(json, BlockSpaces.FmnistMb(), "Latency table 't'"));
        Assert.StartsWith("Latency table 't': ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}
