using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Derived;
using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Core.Spaces.Nb201;

namespace NasActors.Core.Tests.Spaces;

public sealed class CellSpaceTests
{
    private static readonly CellSpace Space = BlockSpaces.FmnistCells();

    [Fact]
    public void The_cell_space_shares_the_nb201_encoding_in_both_directions()
    {
        Assert.Equal(Nb201Space.Instance.ChoiceCounts, Space.ChoiceCounts);
        Assert.Equal(Nb201Space.Instance.Size(), Space.Size());
        for (var i = 0; i < 15625; i += 11)
        {
            var choices = new int[6];
            for (int d = 5, x = i; d >= 0; d--, x /= 5) choices[d] = x % 5;
            var a = new Architecture(choices);
            var text = Nb201Space.Instance.Format(a);
            Assert.Equal(text, Space.Format(a));
            Assert.Equal(a, Space.Parse(text));
            Assert.Equal(Nb201Space.Instance.Parse(Space.Format(a)), a);
            Assert.Equal(a, Space.Parse(a.ToString())); // the choice string too
            Assert.Equal(Nb201Space.Operations[a[3]], Space.ChoiceName(3, a[3]));
        }
    }

    [Fact]
    public void A_malformed_cell_is_refused_with_the_nb201_reason()
    {
        var e = Assert.Throws<ArchitectureFormatException>(() => Space.Parse("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|"));
        Assert.Contains("unknown operation 'conv_5x5'", e.Message);
        Assert.Throws<ArchitectureFormatException>(() => Space.Parse("0123"));
    }

    [Fact]
    public void The_cost_model_counts_each_edge_once_per_cell_and_nothing_for_parameter_free_operations()
    {
        var costs = Space.CostModel();
        var none = costs.Cost(CostMetrics.Params, Architecture.Of(0, 0, 0, 0, 0, 0));
        Assert.Equal(none, costs.Cost(CostMetrics.Params, Architecture.Of(1, 4, 1, 4, 0, 1)));
        // One conv 3x3 edge more: per cell C*C*9 weights and 2C BatchNorm parameters, over stages of 16, 32 and 64 channels.
        var perCell = new[] { 16, 32, 64 }.Sum(c => 9L * c * c + 2L * c);
        Assert.Equal(none + Space.CellsPerStage * perCell, costs.Cost(CostMetrics.Params, Architecture.Of(3, 0, 0, 0, 0, 0)));
        Assert.True(costs.Cost(CostMetrics.Flops, Architecture.Of(3, 0, 0, 0, 0, 0)) > costs.Cost(CostMetrics.Flops, Architecture.Of(2, 0, 0, 0, 0, 0)));
    }

    [Fact]
    public void The_derived_controller_on_a_cell_space_proposes_first_the_strongest_operation_other_than_none_of_every_edge()
    {
        var c = (DerivedArchitectures)ControllerFactory.Create(ControllerNames.Derived, new SearchContext(Space, 1, 4),
            new Dictionary<string, string> { ["batch"] = "4" });
        // none is the most probable on edges 0 and 2.
        double[] NoneFirst(int second) => Enumerable.Range(0, 5).Select(i => i == 0 ? 0.6 : i == second ? 0.25 : 0.05).ToArray();
        double[] Prefers(int choice) => Enumerable.Range(0, 5).Select(i => i == choice ? 0.6 : 0.1).ToArray();
        c.ProvideDistribution(new ArchitectureDistribution([NoneFirst(2), Prefers(1), NoneFirst(4), Prefers(3), Prefers(3), Prefers(1)]));
        var proposed = c.Propose(4);
        Assert.Equal(Architecture.Of(2, 1, 4, 3, 3, 1), proposed[0].Architecture);
        Assert.All(proposed, p => Assert.DoesNotContain(CellSpace.None, p.Architecture));
    }
}
