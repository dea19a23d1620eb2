using CsCheck;
using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Derived;
using NasActors.Core.Controllers.Nsga2;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tests.Controllers;

/// <summary>The properties every controller keeps, checked on random seeds, budgets and result orders.</summary>
public class ControllerPropertyTests
{
    public static TheoryData<string> Names => new(ControllerNames.All);

    private static SearchContext Context(long seed, int budget, double? maxFlops = null)
    {
        var costs = TestSpaces.Flops(TestSpaces.Small);
        var limits = maxFlops is null ? Array.Empty<CostConstraint>() : [new CostConstraint(CostMetrics.Flops, maxFlops.Value)];
        return new SearchContext(TestSpaces.Small, seed, budget, new Constraints(TestSpaces.Small, costs, limits), costs);
    }

    private static IController Make(string name, SearchContext ctx)
    {
        var c = ControllerFactory.Create(name, ctx, TestSpaces.SmallSettings(name));
        // A controller that proposes from a trained distribution gets one drawn from the seed, as a trainer would report it.
        if (c is IDistributionController d) d.ProvideDistribution(TestSpaces.Distribution(ctx.Space, ctx.Seed));
        return c;
    }

    [Theory, MemberData(nameof(Names))]
    public void Replay_in_any_order_gives_the_same_next_proposals(string name)
    {
        var gen = Gen.Select(Gen.Long, Gen.Int[5, 60], Gen.ULong, Gen.Int[1, 4]);
        foreach (var caseSeed in PropertySeeds.For($"{nameof(Replay_in_any_order_gives_the_same_next_proposals)}/{name}", 40))
            gen.Sample((seed, budget, shuffleSeed, chunk) =>
            {
                var reference = TestSpaces.Drive(Make(name, Context(seed, budget)), TestSpaces.Signal);
                // Same seed and results, told in a shuffled order, proposals taken in chunks, failures at the same places.
                var shuffled = TestSpaces.Drive(Make(name, Context(seed, budget)), TestSpaces.Signal,
                    (got, round) =>
                    {
                        var copy = got.ToList();
                        DeterministicRandom.For((long)shuffleSeed, "order", round).Shuffle(copy);
                        return copy;
                    }, chunk);
                Assert.Equal(reference, shuffled);
            }, seed: caseSeed, iter: 1);
    }

    [Theory, MemberData(nameof(Names))]
    public void Rebuilding_from_a_journal_prefix_gives_the_same_next_proposals(string name)
    {
        var gen = Gen.Select(Gen.Long, Gen.Int[10, 50], Gen.Int[0, 49]);
        foreach (var caseSeed in PropertySeeds.For($"{nameof(Rebuilding_from_a_journal_prefix_gives_the_same_next_proposals)}/{name}", 30))
            gen.Sample((seed, budget, cut) =>
            {
                var live = Make(name, Context(seed, budget));
                var journal = new List<(Candidate Candidate, double Signal)>();
                while (!live.IsDone && journal.Count < cut)
                {
                    var got = live.Propose(int.MaxValue);
                    foreach (var c in got) { live.Tell(new EvaluationResult(c.Architecture, TestSpaces.Signal(c.Architecture))); journal.Add((c, TestSpaces.Signal(c.Architecture))); }
                }
                // Replay the recorded results into a fresh controller, newest first within each batch.
                var rebuilt = Make(name, Context(seed, budget));
                foreach (var batch in journal.GroupBy(j => j.Candidate.Batch))
                {
                    var proposed = new List<Candidate>();
                    for (var p = rebuilt.Propose(int.MaxValue); p.Count > 0; p = rebuilt.Propose(int.MaxValue)) proposed.AddRange(p);
                    Assert.Equal(batch.Select(b => b.Candidate), proposed);
                    foreach (var (c, s) in batch.Reverse()) rebuilt.Tell(new EvaluationResult(c.Architecture, s));
                }
                Assert.Equal(live.IsDone, rebuilt.IsDone);
                Assert.Equal(live.Propose(int.MaxValue), rebuilt.Propose(int.MaxValue));
                Assert.Equal(live.Best, rebuilt.Best);
            }, seed: caseSeed, iter: 1);
    }

    [Theory, MemberData(nameof(Names))]
    public void Constraints_are_never_violated(string name)
    {
        // Smallest flops of the small space: 1 + (1+2+3+4+5) = 16; largest 1 + 3 * 15 = 46.
        var gen = Gen.Select(Gen.Long, Gen.Int[5, 80], Gen.Double[18, 40]);
        foreach (var caseSeed in PropertySeeds.For($"{nameof(Constraints_are_never_violated)}/{name}", 30))
            gen.Sample((seed, budget, maxFlops) =>
            {
                var ctx = Context(seed, budget, maxFlops);
                var proposals = TestSpaces.Drive(Make(name, ctx), TestSpaces.Signal);
                Assert.All(proposals, p => Assert.True(ctx.Costs!.Cost(CostMetrics.Flops, p.Architecture) <= maxFlops));
                Assert.NotEmpty(proposals);
            }, seed: caseSeed, iter: 1);
    }

    [Theory, MemberData(nameof(Names))]
    public void No_architecture_is_evaluated_twice_and_the_budget_is_kept(string name)
    {
        void Check(long seed, int budget)
        {
            var c = Make(name, Context(seed, budget));
            var proposals = TestSpaces.Drive(c, TestSpaces.Signal, fails: a => a[0] == 1 && a[1] == 2);
            Assert.Equal(proposals.Count, proposals.Select(p => p.Architecture).Distinct().Count());
            Assert.True(proposals.Count <= budget);
            Assert.Equal(proposals.Count, c.EvaluationsUsed);
            Assert.Equal(Enumerable.Range(0, proposals.Count), proposals.Select(p => p.Sequence));
        }

        // The smallest budgets always (a random draw of budget 1 once found the stratified controller refusing K = 1).
        foreach (var budget in new[] { 1, 2, 3 }) Check(17, budget);
        var gen = Gen.Select(Gen.Long, Gen.Int[1, 150]);
        foreach (var caseSeed in PropertySeeds.For($"{nameof(No_architecture_is_evaluated_twice_and_the_budget_is_kept)}/{name}", 25))
            gen.Sample(Check, seed: caseSeed, iter: 1);
    }

    [Theory, MemberData(nameof(Names))]
    public void A_budget_larger_than_the_space_ends_with_every_feasible_architecture_at_most_once(string name)
    {
        var c = Make(name, Context(3, 1000));
        var proposals = TestSpaces.Drive(c, TestSpaces.Signal);
        Assert.True(proposals.Count <= 243);
        Assert.True(c.IsDone);
        Assert.Equal(proposals.Count, proposals.Select(p => p.Architecture).Distinct().Count());
        if (name == ControllerNames.Random) Assert.Equal(243, proposals.Count);
    }

    [Theory, MemberData(nameof(Names))]
    public void The_best_is_the_highest_signal_among_successful_evaluations(string name)
    {
        var c = Make(name, Context(11, 40));
        TestSpaces.Drive(c, TestSpaces.Signal, fails: a => a[2] == 0);
        var ok = c.History.Where(e => e.Succeeded).ToList();
        Assert.Equal(ok.Max(e => e.Signal), c.Best!.Signal);
        Assert.DoesNotContain(c.History, e => e.Failed && e.Architecture[2] != 0);
        Assert.False(c.Best.Failed);
    }

    [Fact]
    public void Nsga2_fronts_are_mutually_non_dominated()
    {
        var point = Gen.Double[0, 10].Select(x => Math.Round(x, 1)).Array[2];
        var gen = point.List[1, 60];
        foreach (var caseSeed in PropertySeeds.For(nameof(Nsga2_fronts_are_mutually_non_dominated), 200))
            gen.Sample(points =>
            {
                var pts = points.Select(p => (IReadOnlyList<double>)p).ToList();
                var fronts = NonDominatedSorting.Fronts(pts);
                Assert.Equal(pts.Count, fronts.Sum(f => f.Count));
                for (var f = 0; f < fronts.Count; f++)
                {
                    foreach (var i in fronts[f])
                        foreach (var j in fronts[f])
                            Assert.False(NonDominatedSorting.Dominates(pts[i], pts[j]));
                    if (f > 0)
                        foreach (var i in fronts[f])
                            Assert.Contains(fronts[f - 1], j => NonDominatedSorting.Dominates(pts[j], pts[i]));
                }
            }, seed: caseSeed, iter: 1);
    }

    [Fact]
    public void Nsga2_returns_a_pareto_front_of_its_evaluations()
    {
        var gen = Gen.Select(Gen.Long, Gen.Int[6, 60]);
        foreach (var caseSeed in PropertySeeds.For(nameof(Nsga2_returns_a_pareto_front_of_its_evaluations), 30))
            gen.Sample((seed, budget) =>
            {
                var ctx = Context(seed, budget);
                var c = (Nsga2Search)Make(ControllerNames.Nsga2, ctx);
                TestSpaces.Drive(c, TestSpaces.Signal);
                var front = c.ParetoFront;
                Assert.NotEmpty(front);
                Assert.All(front, a => Assert.All(c.History, b => Assert.False(NonDominatedSorting.Dominates(c.Objectives(b), c.Objectives(a)))));
                Assert.All(c.History.Except(front), b => Assert.Contains(front, a => NonDominatedSorting.Dominates(c.Objectives(a), c.Objectives(b))
                                                                                || c.Objectives(a).SequenceEqual(c.Objectives(b))));
                Assert.Contains(c.Best!, front);
            }, seed: caseSeed, iter: 1);
    }

    [Fact]
    public void Crowding_distance_gives_the_extremes_infinity()
    {
        IReadOnlyList<IReadOnlyList<double>> pts = [[0, 3], [1, 2], [2, 1.5], [3, 0]];
        var d = NonDominatedSorting.CrowdingDistance([0, 1, 2, 3], pts);
        Assert.True(double.IsPositiveInfinity(d[0]) && double.IsPositiveInfinity(d[3]));
        Assert.Equal(2.0 / 3 + 1.5 / 3, d[1], 12);
        Assert.Equal(2.0 / 3 + 2.0 / 3, d[2], 12);
    }
}
