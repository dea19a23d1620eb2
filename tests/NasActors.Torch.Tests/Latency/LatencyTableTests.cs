using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Latency;
using NasActors.Torch.Methods;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Latency;

public sealed class LatencyTableTests
{
    [Fact]
    public void A_measured_latency_table_has_one_positive_time_per_choice_of_every_layer_of_the_space()
    {
        var space = BlockSpaces.FmnistMb();
        var table = new LatencyTableMeasurement(space, CPU, repeats: 3, warmup: 1).Measure();
        Assert.Equal(space.ChoiceCounts.Count, table.PerChoice.Length);
        for (var i = 0; i < space.ChoiceCounts.Count; i++)
        {
            Assert.Equal(space.ChoiceCounts[i], table.PerChoice[i].Length);
            Assert.All(table.PerChoice[i], ms => Assert.True(ms > 0 && double.IsFinite(ms), $"layer {i}: {ms} ms"));
        }
        Assert.True(table.Fixed > 0 && double.IsFinite(table.Fixed), $"fixed part {table.Fixed} ms");
    }

    [Fact]
    public void The_additivity_check_sums_the_table_along_each_architecture_and_times_each_end_to_end()
    {
        var space = BlockSpaces.FmnistMb();
        var table = new LatencyTable(5, space.ChoiceCounts.Select((m, i) => Enumerable.Range(0, m).Select(c => 1.0 + i + 0.1 * c).ToArray()).ToArray());
        var check = new LatencyTableMeasurement(space, CPU, repeats: 1, warmup: 0).CheckAdditivity(table, count: 3, seed: 7);
        Assert.Equal(3, check.Architectures.Count);
        for (var k = 0; k < 3; k++)
        {
            var a = check.Architectures[k];
            Assert.Equal(5 + a.Select((c, i) => 1.0 + i + 0.1 * c).Sum(), check.TableSums[k], 9);
            Assert.True(check.Measured[k] > 0, $"architecture {k} measured {check.Measured[k]} ms");
        }
        Assert.Equal(AdditivityCheck.Statistic(check.TableSums, check.Measured), check.Spearman);
    }

    [Fact]
    public void The_additivity_statistic_is_Spearman_rho_of_table_sums_against_measured_latencies()
    {
        // Ranks 1 2 3 4 against 1 2 4 3: sum of squared rank differences 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8.
        Assert.Equal(0.8, AdditivityCheck.Statistic([1, 2, 3, 4], [10, 20, 40, 30]), 12);
        Assert.Equal(1.0, AdditivityCheck.Statistic([1, 2, 3, 4], [1.5, 2.5, 9, 10]), 12);
        var passing = new AdditivityCheck([], [], [], 0.9, 0.9);
        var failing = new AdditivityCheck([], [], [], 0.89, 0.9);
        Assert.True(passing.Passes);
        Assert.False(failing.Passes);
    }

    [Fact]
    public void A_written_latency_table_reads_back_as_the_same_latency_cost_model()
    {
        var space = BlockSpaces.FmnistMb();
        var table = new LatencyTable(2.5, space.ChoiceCounts.Select((m, i) => Enumerable.Range(0, m).Select(c => 0.125 * (i + 1) + 0.01 * c).ToArray()).ToArray());
        using var folder = new TempFolder();
        var path = folder.File("table.json");
        LatencyLoss.WriteTable(path, table.Fixed, table.PerChoice, new Dictionary<string, object> { ["space"] = space.Name, ["device"] = "cpu" });
        var read = LatencyLoss.ReadTable(path, space);
        Assert.Equal(table.Fixed, read.FixedCost(CostMetrics.Latency));
        for (var i = 0; i < space.ChoiceCounts.Count; i++)
            for (var c = 0; c < space.ChoiceCounts[i]; c++)
                Assert.Equal(table.PerChoice[i][c], read.LayerCost(CostMetrics.Latency, i, c));
        var architecture = new Architecture(space.ChoiceCounts.Select(m => m - 1));
        Assert.Equal(table.Sum(architecture), read.Cost(CostMetrics.Latency, architecture), 12);
        Assert.Equal(table.Sum(architecture), table.ToCostModel(space).Cost(CostMetrics.Latency, architecture), 12);
    }
}
