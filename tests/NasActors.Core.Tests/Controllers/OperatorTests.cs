using NasActors.Core.Controllers;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tests.Controllers;

public class OperatorTests
{
    private static readonly LayerChoiceSpace Space = LayerChoiceSpace.Uniform("ops", 6, 4);

    [Fact]
    public void Per_decision_mutation_with_probability_zero_copies_the_parent()
    {
        var parent = Architecture.Of(0, 1, 2, 3, 0, 1);
        Assert.Equal(parent, Mutation.PerDecision(parent, Space, 0, DeterministicRandom.For(1, "t")));
    }

    [Fact]
    public void Per_decision_mutation_with_probability_one_changes_every_decision()
    {
        var parent = Architecture.Of(0, 1, 2, 3, 0, 1);
        for (var s = 0; s < 50; s++)
        {
            var child = Mutation.PerDecision(parent, Space, 1, DeterministicRandom.For(s, "t"));
            for (var i = 0; i < parent.Count; i++) Assert.NotEqual(parent[i], child[i]);
            Assert.True(Space.Contains(child));
        }
    }

    [Fact]
    public void Per_decision_mutation_changes_about_the_given_fraction_of_decisions()
    {
        var parent = Architecture.Of(0, 0, 0, 0, 0, 0);
        var changed = 0;
        const int n = 2000;
        for (var s = 0; s < n; s++)
            changed += HammingDistance(parent, Mutation.PerDecision(parent, Space, 0.1, DeterministicRandom.For(s, "t")));
        var rate = changed / (double)(n * parent.Count);
        Assert.InRange(rate, 0.085, 0.115);
    }

    [Fact]
    public void One_decision_mutation_changes_exactly_one_decision_and_never_one_without_alternatives()
    {
        var space = new LayerChoiceSpace("mixed", [1, 3, 1, 2]);
        var parent = Architecture.Of(0, 2, 0, 1);
        var touched = new HashSet<int>();
        for (var s = 0; s < 200; s++)
        {
            var child = Mutation.OneDecision(parent, space, DeterministicRandom.For(s, "t"));
            Assert.Equal(1, HammingDistance(parent, child));
            Assert.True(space.Contains(child));
            touched.Add(Enumerable.Range(0, 4).Single(i => child[i] != parent[i]));
        }
        Assert.Equal(new HashSet<int> { 1, 3 }, touched);
    }

    [Fact]
    public void Neighbours_are_every_architecture_at_distance_one()
    {
        var a = Architecture.Of(0, 1, 2, 3, 0, 1);
        var nbs = Mutation.Neighbours(a, Space).ToList();
        Assert.Equal(6 * 3, nbs.Count);
        Assert.Equal(nbs.Count, nbs.Distinct().Count());
        Assert.All(nbs, n => Assert.Equal(1, HammingDistance(a, n)));
    }

    [Fact]
    public void Uniform_crossover_takes_each_gene_from_one_parent_and_mixes_both()
    {
        var a = Architecture.Of(0, 0, 0, 0, 0, 0);
        var b = Architecture.Of(3, 3, 3, 3, 3, 3);
        var fromA = 0;
        for (var s = 0; s < 500; s++)
        {
            var child = Crossover.Uniform(a, b, DeterministicRandom.For(s, "x"));
            Assert.All(child, g => Assert.True(g is 0 or 3));
            fromA += child.Count(g => g == 0);
        }
        Assert.InRange(fromA / 3000.0, 0.45, 0.55);
        Assert.Equal(a, Crossover.Uniform(a, a, DeterministicRandom.For(7, "x")));
    }

    [Fact]
    public void Tournament_of_the_whole_population_returns_the_best_and_ties_go_to_the_earlier()
    {
        var pop = new[] { 5.0, 9.0, 1.0, 9.0 };
        for (var s = 0; s < 20; s++)
            Assert.Equal(1, Tournament.Select(pop, 4, DeterministicRandom.For(s, "t"), (x, y) => y.CompareTo(x)));
    }

    [Fact]
    public void Tournament_of_size_one_picks_uniformly_and_larger_tournaments_favour_the_best()
    {
        var pop = Enumerable.Range(0, 5).Select(i => (double)i).ToArray();
        var counts1 = new int[5];
        var counts3 = new int[5];
        for (var s = 0; s < 5000; s++)
        {
            counts1[Tournament.Select(pop, 1, DeterministicRandom.For(s, "t"), (x, y) => y.CompareTo(x))]++;
            counts3[Tournament.Select(pop, 3, DeterministicRandom.For(s, "u"), (x, y) => y.CompareTo(x))]++;
        }
        Assert.All(counts1, c => Assert.InRange(c, 850, 1150));
        // Best of 3 distinct out of 5: P(best = 4) = 3/5, P(best is 0 or 1) = 0.
        Assert.InRange(counts3[4], 2800, 3200);
        Assert.Equal(0, counts3[0] + counts3[1]);
    }

    [Fact]
    public void Aging_population_kills_the_oldest_member()
    {
        var pop = new AgingPopulation<string>(3);
        Assert.Null(pop.Add("a"));
        Assert.Null(pop.Add("b"));
        Assert.Null(pop.Add("c"));
        Assert.Equal("a", pop.Add("d"));
        Assert.Equal(["b", "c", "d"], pop.Members);
    }

    [Fact]
    public void Baseline_starts_at_the_first_reward_and_moves_by_the_decay()
    {
        var b = new MovingAverageBaseline(0.9);
        Assert.Equal(0, b.Update(10));
        Assert.Equal(10, b.Value);
        var adv = b.Update(20);
        Assert.Equal(10, adv, 12);
        Assert.Equal(0.9 * 10 + 0.1 * 20, b.Value, 12);
        Assert.Equal(0.1 * 100, b.Variance, 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MovingAverageBaseline(1));
    }

    private static int HammingDistance(Architecture a, Architecture b) => Enumerable.Range(0, a.Count).Count(i => a[i] != b[i]);
}
