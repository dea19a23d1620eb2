using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Derived;
using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Tabular;

namespace NasActors.Core.Tests.Controllers;

/// <summary>The <c>derived</c> controller: the argmax of a trained distribution, then the next most probable.</summary>
public class DerivedArchitecturesTests
{
    private static readonly LayerChoiceSpace Space = LayerChoiceSpace.Uniform("three", 3, 3);

    /// <summary>Layer 0 prefers 2, layer 1 prefers 0, layer 2 is nearly even between 1 and 0.</summary>
    private static ArchitectureDistribution Trained() => new([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1], [0.35, 0.4, 0.25]]);

    private static DerivedArchitectures Make(int budget, int batch = 8, Constraints? constraints = null) =>
        (DerivedArchitectures)ControllerFactory.Create(ControllerNames.Derived, new SearchContext(Space, 1, budget, constraints),
            new Dictionary<string, string> { ["batch"] = batch.ToString() });

    [Fact]
    public void It_proposes_nothing_and_is_not_done_until_the_distribution_arrives()
    {
        var c = Make(budget: 4);
        Assert.True(c.WaitsForDistribution);
        Assert.Empty(c.Propose(int.MaxValue));
        Assert.False(c.IsDone);
        c.ProvideDistribution(Trained());
        Assert.False(c.WaitsForDistribution);
        Assert.Equal(4, c.Propose(int.MaxValue).Count);
    }

    [Fact]
    public void It_proposes_the_argmax_first_then_the_next_most_probable_in_order_of_probability()
    {
        var c = Make(budget: 27, batch: 4);
        c.ProvideDistribution(Trained());
        var proposed = TestSpaces.Drive(c, TestSpaces.Signal).Select(p => p.Architecture).ToList();
        Assert.Equal(Trained().Argmax(), proposed[0]);
        Assert.Equal(new Architecture([2, 0, 1]), proposed[0]);
        Assert.Equal(new Architecture([2, 0, 0]), proposed[1]); // 0.7 * 0.6 * 0.35: the runner-up differs in the closest layer
        // Every architecture of the space, once, in descending probability.
        Assert.Equal(27, proposed.Count);
        Assert.Equal(Trained().MostProbable(27).Select(p => p.Architecture), proposed);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1, 2], TestSpaces.Drive(Restart(27, 4), TestSpaces.Signal).Take(9).Select(p => p.Batch));
    }

    private static DerivedArchitectures Restart(int budget, int batch)
    {
        var c = Make(budget, batch);
        c.ProvideDistribution(Trained());
        return c;
    }

    [Fact]
    public void The_budget_ends_it()
    {
        var c = Restart(budget: 3, batch: 2);
        var proposed = TestSpaces.Drive(c, TestSpaces.Signal);
        Assert.Equal(Trained().MostProbable(3).Select(p => p.Architecture), proposed.Select(p => p.Architecture));
        Assert.True(c.IsDone);
    }

    [Fact]
    public void Architectures_that_violate_the_constraints_are_skipped()
    {
        // FLOPs of choice c in layer i: (c + 1) * (i + 1); the argmax 2,0,1 costs 1 + 3 + 2 + 6 = 12 > 11.
        var costs = TestSpaces.Flops(Space);
        var constraints = new Constraints(Space, costs, [new CostConstraint(CostMetrics.Flops, 11)]);
        var c = Make(budget: 5, constraints: constraints);
        c.ProvideDistribution(Trained());
        var proposed = c.Propose(int.MaxValue).Select(p => p.Architecture).ToList();
        var feasible = Trained().MostProbable(27).Select(p => p.Architecture).Where(constraints.IsSatisfied).Take(5);
        Assert.Equal(feasible, proposed);
        Assert.DoesNotContain(Trained().Argmax(), proposed);
    }

    [Fact]
    public void A_distribution_that_does_not_fit_the_space_is_refused_naming_the_decision()
    {
        var c = Make(budget: 4);
        var e = Assert.Throws<ArgumentException>(() => c.ProvideDistribution(new ArchitectureDistribution([[0.5, 0.5, 0], [1, 0], [1, 0, 0]])));
        Assert.Contains("decision 1", e.Message);
        Assert.Contains("2 choices", e.Message);
        var shorter = Assert.Throws<ArgumentException>(() => c.ProvideDistribution(new ArchitectureDistribution([[1, 0, 0]])));
        Assert.Contains("1 decisions", shorter.Message);
        Assert.True(c.WaitsForDistribution);
    }

    [Fact]
    public void A_second_distribution_is_refused()
    {
        var c = Restart(budget: 4, batch: 2);
        Assert.Throws<InvalidOperationException>(() => c.ProvideDistribution(Trained()));
    }

    [Fact]
    public void A_method_s_derived_architectures_are_proposed_first_in_its_order_then_the_distribution_s()
    {
        var derived = new[] { new Architecture([0, 1, 2]), new Architecture([2, 0, 1]), new Architecture([1, 1, 1]) };
        var c = Make(budget: 5, batch: 2);
        c.Provide(Trained(), derived);
        var proposed = TestSpaces.Drive(c, TestSpaces.Signal).Select(p => p.Architecture).ToList();
        // The argmax (2,0,1) was among the derived: the distribution's list goes on without it.
        Assert.Equal([.. derived, .. Trained().MostProbable(27).Select(p => p.Architecture).Except(derived).Take(2)], proposed);
    }

    [Fact]
    public void With_derived_architectures_alone_it_proposes_them_and_is_done()
    {
        var derived = new[] { new Architecture([0, 1, 2]), new Architecture([1, 1, 1]) };
        var c = Make(budget: 10, batch: 8);
        Assert.True(c.WaitsForDistribution);
        c.Provide(null, derived);
        Assert.Equal(derived, TestSpaces.Drive(c, TestSpaces.Signal).Select(p => p.Architecture));
        Assert.True(c.IsDone);
    }

    [Fact]
    public void Derived_architectures_outside_the_space_or_no_input_at_all_are_refused()
    {
        var c = Make(budget: 4);
        var e = Assert.Throws<ArgumentException>(() => c.Provide(null, [new Architecture([0, 3, 0])]));
        Assert.Contains("030", e.Message);
        Assert.Contains("neither", Assert.Throws<ArgumentException>(() => c.Provide(null, [])).Message);
        Assert.True(c.WaitsForDistribution);
    }

    [Fact]
    public void The_tabular_benchmark_refuses_it_having_no_distribution()
    {
        var table = BenchmarkTable.Read(new StringReader("arch,acc\n000,1\n111,2\n"), "t.csv", "layers:3x3");
        var e = Assert.Throws<ArgumentException>(() => TabularBenchmark.Run(table, new BenchmarkOptions(ControllerNames.Derived, "acc", "acc", 2, 1)));
        Assert.Contains("distribution", e.Message);
    }
}
