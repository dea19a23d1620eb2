using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Evolution;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tests.Controllers;

/// <summary>Evolution whose children are produced elsewhere (the cluster's mutator actors) proposes exactly what it proposes alone.</summary>
public class OffspringDelegationTests
{
    private static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["population"] = "8", ["top_k"] = "3", ["mutation_children"] = "4", ["crossover_children"] = "2", ["generations"] = "5",
        ["mutation_prob"] = "0.3",
    };

    private static EvolutionSearch New(long seed, int budget = 40) =>
        (EvolutionSearch)ControllerFactory.Create(ControllerNames.Evolution, new SearchContext(LayerChoiceSpace.Uniform("s", 6, 4), seed, budget), Settings);

    /// <summary>Runs a search to the end; a delegated one gets each generation's children from the pure function, as a mutator would.</summary>
    private static (List<Candidate> Proposed, int Requests) Run(EvolutionSearch c, bool delegated)
    {
        if (delegated) c.DelegateOffspring();
        var proposed = new List<Candidate>();
        var requests = 0;
        while (!c.IsDone)
        {
            if (c.OffspringWanted is { } r)
            {
                Assert.Empty(c.Propose(int.MaxValue));
                requests++;
                c.ProvideOffspring(r.Batch, EvolutionOffspring.Produce(r, c.Context));
                continue;
            }
            var batch = c.Propose(int.MaxValue);
            Assert.NotEmpty(batch);
            proposed.AddRange(batch);
            // Results in reverse order: the controller learns from the set, not the order.
            foreach (var x in batch.AsEnumerable().Reverse()) c.Tell(new EvaluationResult(x.Architecture, TestSpaces.Signal(x.Architecture)));
        }
        return (proposed, requests);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public void A_search_with_delegated_offspring_proposes_exactly_what_it_proposes_alone(long seed)
    {
        var alone = Run(New(seed), delegated: false);
        var delegated = Run(New(seed), delegated: true);
        Assert.Equal(0, alone.Requests);
        Assert.Equal(4, delegated.Requests); // generations 1-4 ask; generation 0 is random
        Assert.Equal(alone.Proposed, delegated.Proposed);
    }

    [Fact]
    public void A_waiting_search_proposes_nothing_and_is_not_done()
    {
        var c = New(3);
        c.DelegateOffspring();
        foreach (var x in c.Propose(int.MaxValue)) c.Tell(new EvaluationResult(x.Architecture, 1));
        var wanted = Assert.IsType<OffspringRequest>(c.OffspringWanted);
        Assert.Equal(1, wanted.Batch);
        Assert.Equal(3, wanted.Parents.Count);
        Assert.Equal(8, wanted.Exclude.Count);
        Assert.False(c.IsDone);
        Assert.Equal(0, c.Pending);
        Assert.Empty(c.Propose(int.MaxValue));
    }

    [Fact]
    public void Children_that_are_not_offspring_are_refused_with_the_reason_and_change_nothing()
    {
        var c = New(5);
        c.DelegateOffspring();
        var first = c.Propose(int.MaxValue);
        foreach (var x in first) c.Tell(new EvaluationResult(x.Architecture, 1));
        var wanted = c.OffspringWanted!;
        Assert.Contains("proposed before", c.OffspringProblem(1, [first[0].Architecture]));
        Assert.Contains("generation 1, not 2", c.OffspringProblem(2, []));
        Assert.Contains("not an architecture", c.OffspringProblem(1, [new Architecture([9, 9, 9, 9, 9, 9])]));
        var fresh = EvolutionOffspring.Produce(wanted, c.Context);
        Assert.Contains("repeated", c.OffspringProblem(1, [fresh[0], fresh[0]]));
        var e = Assert.Throws<ArgumentException>(() => c.ProvideOffspring(1, [first[0].Architecture]));
        Assert.Contains("Offspring refused", e.Message);
        Assert.Equal(wanted, c.OffspringWanted, OffspringComparer.Instance);
        c.ProvideOffspring(1, fresh);
        Assert.Null(c.OffspringWanted);
        Assert.Equal(8, c.Propose(int.MaxValue).Count);
    }

    [Fact]
    public void Offspring_is_delegated_only_before_the_search_starts()
    {
        var c = New(2);
        foreach (var x in c.Propose(int.MaxValue)) c.Tell(new EvaluationResult(x.Architecture, 1));
        Assert.Throws<InvalidOperationException>(c.DelegateOffspring);
    }

    private sealed class OffspringComparer : IEqualityComparer<OffspringRequest?>
    {
        public static OffspringComparer Instance { get; } = new();
        public bool Equals(OffspringRequest? a, OffspringRequest? b) => a is not null && b is not null && a.Batch == b.Batch
            && a.Parents.SequenceEqual(b.Parents) && a.Exclude.SequenceEqual(b.Exclude) && a.Limit == b.Limit;
        public int GetHashCode(OffspringRequest? r) => r?.Batch ?? 0;
    }
}
