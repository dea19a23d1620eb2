using NasActors.Core.Controllers;
using NasActors.Core.Controllers.RegularizedEvolution;
using NasActors.Core.Controllers.Reinforce;
using NasActors.Core.Costs;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tests.Controllers;

public class ControllerBehaviourTests
{
    private static SearchContext Context(long seed = 1, int budget = 30) => new(TestSpaces.Small, seed, budget);

    [Fact]
    public void A_constraint_no_architecture_satisfies_is_an_error_before_the_search_starts()
    {
        var costs = TestSpaces.Flops(TestSpaces.Small);
        var ctx = new SearchContext(TestSpaces.Small, 1, 10, new Constraints(TestSpaces.Small, costs, [new CostConstraint(CostMetrics.Flops, 15.9)]));
        var e = Assert.Throws<UnsatisfiableConstraintsException>(() => ControllerFactory.Create(ControllerNames.Random, ctx));
        Assert.Contains("flops", e.Message);
    }

    [Fact]
    public void Constraints_that_are_each_satisfiable_but_not_together_are_an_error()
    {
        var space = TestSpaces.Small;
        var flops = TestSpaces.Flops(space);
        // "negflops" = -flops: small only when flops is large.
        var both = new AdditiveCostModel(space, new Dictionary<string, (double, double[][])>
        {
            ["flops"] = (1, space.ChoiceCounts.Select((m, i) => Enumerable.Range(0, m).Select(c => (double)(c + 1) * (i + 1)).ToArray()).ToArray()),
            ["negflops"] = (-1, space.ChoiceCounts.Select((m, i) => Enumerable.Range(0, m).Select(c => -(double)(c + 1) * (i + 1)).ToArray()).ToArray()),
        });
        var limits = new[] { new CostConstraint("flops", 20), new CostConstraint("negflops", -40) };
        Assert.Equal(16, flops.Minimum("flops"));
        Assert.Throws<UnsatisfiableConstraintsException>(() => new Constraints(space, both, limits).EnsureSatisfiable());
    }

    [Fact]
    public void A_result_for_an_architecture_not_handed_out_is_an_error_and_a_repeated_result_is_ignored()
    {
        var c = ControllerFactory.Create(ControllerNames.Random, Context(), new Dictionary<string, string> { ["batch"] = "3" });
        var got = c.Propose(2);
        var notHanded = c.Propose(0);
        Assert.Empty(notHanded);
        Assert.Throws<InvalidOperationException>(() => c.Tell(new EvaluationResult(Architecture.Of(9, 9, 9, 9, 9), 1)));
        c.Tell(new EvaluationResult(got[0].Architecture, 5));
        c.Tell(new EvaluationResult(got[0].Architecture, 7));
        Assert.Equal(5, c.Best!.Signal);
        Assert.Equal(1, c.Pending);
    }

    [Fact]
    public void Failed_evaluations_use_budget_and_are_not_proposed_again()
    {
        var c = ControllerFactory.Create(ControllerNames.RegularizedEvolution, Context(budget: 40),
            new Dictionary<string, string> { ["population"] = "5", ["sample_size"] = "2" });
        var all = TestSpaces.Drive(c, TestSpaces.Signal, fails: a => a[4] == 2);
        Assert.Equal(40, c.EvaluationsUsed);
        Assert.Contains(c.History, e => e.Failed);
        Assert.Equal(all.Count, all.Select(a => a.Architecture).Distinct().Count());
    }

    [Fact]
    public void Unknown_or_bad_settings_name_the_key()
    {
        var e1 = Assert.Throws<ControllerSettingsException>(() => ControllerFactory.Prepare(ControllerNames.Evolution, new Dictionary<string, string> { ["popsize"] = "3" }));
        Assert.Equal("popsize", e1.Key);
        Assert.Contains("population", e1.Message);
        var e2 = Assert.Throws<ControllerSettingsException>(() => ControllerFactory.Prepare(ControllerNames.Reinforce, new Dictionary<string, string> { ["learning-rate"] = "fast" }));
        Assert.Equal("learning-rate", e2.Key);
        var e3 = Assert.Throws<ControllerSettingsException>(() => ControllerFactory.Prepare(ControllerNames.RegularizedEvolution, new Dictionary<string, string> { ["population"] = "3", ["sample_size"] = "5" }));
        Assert.Equal("sample_size", e3.Key);
        Assert.Throws<ArgumentException>(() => ControllerFactory.Prepare("simulated-annealing"));
        var e4 = Assert.Throws<ControllerSettingsException>(() => ControllerFactory.Create(ControllerNames.Nsga2, Context(), new Dictionary<string, string> { ["objective"] = "latency" }));
        Assert.Equal("objective", e4.Key);
    }

    [Fact]
    public void Evolution_defaults_are_the_spos_settings_and_it_stops_after_its_generations()
    {
        var c = (Core.Controllers.Evolution.EvolutionSearch)ControllerFactory.Create(ControllerNames.Evolution, new SearchContext(LayerChoiceSpace.Uniform("big", 12, 4), 5, 100_000));
        Assert.Equal(new Core.Controllers.Evolution.EvolutionSettings(50, 10, 25, 25, 0.1, 20), c.Settings);
        TestSpaces.Drive(c, TestSpaces.Signal);
        Assert.Equal(20 * 50, c.EvaluationsUsed);
        Assert.Equal(19, c.History.Max(e => e.Candidate.Batch));
        // After the first generation, children of the top-k beat random architectures on average.
        Assert.True(c.History.Where(e => e.Candidate.Batch == 19).Average(e => e.Signal) > c.History.Where(e => e.Candidate.Batch == 0).Average(e => e.Signal));
    }

    [Fact]
    public void Regularized_evolution_keeps_the_youngest_p_members()
    {
        var c = (RegularizedEvolutionSearch)ControllerFactory.Create(ControllerNames.RegularizedEvolution, Context(budget: 25),
            new Dictionary<string, string> { ["population"] = "4", ["sample_size"] = "2" });
        TestSpaces.Drive(c, TestSpaces.Signal);
        Assert.Equal(c.History.TakeLast(4).Select(e => e.Architecture), c.Population.Select(e => e.Architecture));
        // Every child after the initial population is one decision away from some earlier member.
        foreach (var e in c.History.Skip(4))
            Assert.Contains(c.History.TakeWhile(x => x != e), p => Enumerable.Range(0, 5).Count(i => p.Architecture[i] != e.Architecture[i]) == 1);
    }

    [Fact]
    public void Reinforce_raises_the_probability_of_choices_with_a_positive_advantage()
    {
        var c = (ReinforceSearch)ControllerFactory.Create(ControllerNames.Reinforce, Context(), new Dictionary<string, string> { ["entropy_weight"] = "0" });
        var a = Architecture.Of(2, 0, 1, 2, 0);
        var before = c.Probabilities();
        c.Step(a, 1.0);
        var after = c.Probabilities();
        for (var d = 0; d < 5; d++)
        {
            Assert.True(after[d][a[d]] > before[d][a[d]]);
            Assert.Equal(1.0, after[d].Sum(), 12);
        }
        c.Step(a, -5.0);
        Assert.True(c.Probabilities()[0][2] < after[0][2]);
    }

    [Fact]
    public void Reinforce_entropy_bonus_pulls_a_peaked_policy_back_towards_uniform()
    {
        var c = (ReinforceSearch)ControllerFactory.Create(ControllerNames.Reinforce, Context(), new Dictionary<string, string> { ["entropy_weight"] = "1" });
        var a = Architecture.Of(2, 0, 1, 2, 0);
        for (var i = 0; i < 5; i++) c.Step(a, 1.0);
        var peaked = c.Probabilities()[0][2];
        for (var i = 0; i < 20; i++) c.Step(a, 0.0);
        Assert.True(c.Probabilities()[0][2] < peaked);
    }

    [Fact]
    public void Reinforce_learns_a_separable_signal_better_than_chance()
    {
        var space = LayerChoiceSpace.Uniform("sep", 8, 4);
        double Signal(Architecture a) => a.Count(x => x == 3);
        var c = ControllerFactory.Create(ControllerNames.Reinforce, new SearchContext(space, 3, 200), new Dictionary<string, string> { ["learning_rate"] = "0.2" });
        TestSpaces.Drive(c, Signal);
        // Random choices hit choice 3 on a quarter of the decisions (2 of 8, std of a 50-mean about 0.17).
        Assert.True(c.History.TakeLast(50).Average(e => e.Signal) > 3, $"mean {c.History.TakeLast(50).Average(e => e.Signal)}");
    }
}
