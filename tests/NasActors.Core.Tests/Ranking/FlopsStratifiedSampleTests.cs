using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Ranking;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;

namespace NasActors.Core.Tests.Ranking;

public sealed class FlopsStratifiedSampleTests
{
    [Fact]
    public void Picks_are_distinct_ordered_by_flops_and_reproducible()
    {
        var space = BlockSpaces.FmnistMb();
        var costs = space.CostModel();
        var picks = FlopsStratifiedSample.Draw(space, costs, 12, 5);
        Assert.Equal(12, picks.Distinct().Count());
        var flops = picks.Select(a => costs.Cost(CostMetrics.Flops, a)).ToArray();
        Assert.Equal(flops.Order(), flops);
        Assert.Equal(picks, FlopsStratifiedSample.Draw(space, costs, 12, 5));
        Assert.NotEqual(picks, FlopsStratifiedSample.Draw(space, costs, 12, 6));
        // Spread: the picks span most of the range of the pool (the lowest and highest strata are represented).
        var rng = new DeterministicRandom(99);
        var all = Enumerable.Range(0, 2000).Select(_ => costs.Cost(CostMetrics.Flops,
            new Architecture(space.ChoiceCounts.Select(m => rng.NextInt(m)).ToArray()))).ToArray();
        Assert.True(flops[^1] - flops[0] > 0.5 * (all.Max() - all.Min()), "picks cover the FLOPs range");
    }

    [Fact]
    public void Too_many_architectures_for_the_space_is_refused()
    {
        var space = new LayerChoiceSpace("tiny", [2, 2]);
        var costs = new AdditiveCostModel(space, new Dictionary<string, (double, double[][])>
        {
            [CostMetrics.Flops] = (0, [[1, 2], [3, 4]]),
        });
        Assert.Equal(4, FlopsStratifiedSample.Draw(space, costs, 4, 1).Distinct().Count());
        var e = Assert.Throws<ArgumentException>(() => { _ = FlopsStratifiedSample.Draw(space, costs, 5, 1); });
        Assert.Contains("K = 5", e.Message);
    }
}
