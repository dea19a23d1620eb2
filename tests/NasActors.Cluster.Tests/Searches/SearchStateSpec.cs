using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Searches;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Tests.Searches;

/// <summary>The search's logic without actors: events in, decisions out.</summary>
public sealed class SearchStateSpec
{
    private static SearchState Submitted(int budget = 24, bool delegateOffspring = false)
    {
        var s = SearchState.Empty("s", delegateOffspring);
        s.Apply(new SearchSubmitted("s", TestSpecs.Synthetic(budget), DateTimeOffset.UnixEpoch));
        return s;
    }

    /// <summary>Runs the search to the end, evaluating with the stub, and returns every event in order.</summary>
    private static List<ISearchEvent> RunToEnd(SearchState s, Func<int, bool>? deliverTwice = null)
    {
        var events = new List<ISearchEvent>();
        void Apply(ISearchEvent e) { s.Apply(e); events.Add(e); }
        while ((s.Decide() ?? Mutate(s)) is { } next)
        {
            Apply(next);
            if (next is SearchCompleted) break;
            foreach (var job in s.JobsToEnqueue())
            {
                var result = new JobSucceeded("s", job.JobId, job.Attempt, job.Architecture, StubEvaluationBackend.Score(job), null, "e");
                foreach (var e in s.OnResult(result)) Apply(e);
                if (deliverTwice?.Invoke(job.JobId) == true) Assert.Empty(s.OnResult(result));
            }
        }
        return events;
    }

    /// <summary>What a population does when its state waits for children: the mutator pool's answer, as an event.</summary>
    private static OffspringProduced? Mutate(SearchState s)
    {
        if (s.OffspringWanted is not { } wanted) return null;
        var request = NasActors.Cluster.Mutation.MutationProtocol.ProduceChildren.From("s", s.Spec!, wanted);
        var e = s.OnChildren(new NasActors.Cluster.Mutation.MutationProtocol.ChildrenProduced("s", wanted.Batch, NasActors.Cluster.Mutation.MutatorActor.Produce(request)), out var problem);
        Assert.Null(problem);
        return Assert.IsType<OffspringProduced>(e);
    }

    [Fact]
    public void A_search_whose_offspring_comes_from_mutators_has_the_same_events_as_one_that_produces_it()
    {
        var alone = RunToEnd(Submitted(40));
        var delegated = RunToEnd(Submitted(40, delegateOffspring: true));
        var offspring = delegated.OfType<OffspringProduced>().ToArray();
        Assert.Equal([1, 2, 3, 4], offspring.Select(o => o.Generation));
        Assert.All(offspring, o => Assert.InRange(o.Children.Count, 1, 6)); // up to 4 mutation + 2 crossover children
        Assert.Equal(Describe(alone), Describe(delegated.Where(e => e is not OffspringProduced)));
        // Each generation's proposal starts with its children.
        foreach (var o in offspring)
            Assert.Equal(o.Children, delegated.OfType<CandidatesProposed>().Single(p => p.Generation == o.Generation).Jobs.Take(o.Children.Count).Select(j => j.Architecture));
    }

    [Fact]
    public void Offspring_replays_from_journal_and_snapshot_and_a_journal_without_it_replays_into_a_delegating_state()
    {
        var live = Submitted(40, delegateOffspring: true);
        var events = new List<ISearchEvent> { new SearchSubmitted("s", live.Spec!, DateTimeOffset.UnixEpoch) };
        // Two generations, then the children of the third: the snapshot falls between OffspringProduced and its proposal.
        while (live.CompletedGenerations < 2)
        {
            var next = live.Decide() ?? (ISearchEvent)Mutate(live)!;
            live.Apply(next); events.Add(next);
            foreach (var job in live.JobsToEnqueue())
                foreach (var e in live.OnResult(new JobSucceeded("s", job.JobId, 1, job.Architecture, StubEvaluationBackend.Score(job), null, "e")))
                { live.Apply(e); events.Add(e); }
        }
        var children = Mutate(live)!;
        live.Apply(children); events.Add(children);
        Assert.Null(live.OffspringWanted);

        var replayed = SearchState.Empty("s", delegateOffspring: true);
        foreach (var e in events) replayed.Apply(e);
        var fromSnapshot = SearchState.FromSnapshot(live.ToSnapshot(), delegateOffspring: true);
        var notDelegating = SearchState.Empty("s");
        foreach (var e in events) notDelegating.Apply(e);
        var oldJournal = SearchState.Empty("s", delegateOffspring: true);
        foreach (var e in events.Where(e => e is not OffspringProduced)) oldJournal.Apply(e);

        var expected = Describe(RunToEnd(Clone(events, delegateOffspring: true))).ToArray();
        Assert.Equal(expected, Describe(RunToEnd(replayed)));
        Assert.Equal(expected, Describe(RunToEnd(fromSnapshot)));
        Assert.Equal(expected.Where(d => d != nameof(OffspringProduced)), Describe(RunToEnd(notDelegating)));
        // The old journal's state computed generation 1's children itself; it asks for generation 2's, then goes on alike.
        var fromOld = Describe(RunToEnd(oldJournal)).ToArray();
        Assert.Equal(nameof(OffspringProduced), fromOld[0]);
        Assert.Equal(expected, fromOld.Skip(1));
    }

    [Fact]
    public void Children_that_are_not_the_offspring_asked_for_are_refused_and_late_answers_ignored()
    {
        var s = Submitted(40, delegateOffspring: true);
        var first = s.Decide()!;
        s.Apply(first);
        foreach (var job in s.JobsToEnqueue())
            foreach (var e in s.OnResult(new JobSucceeded("s", job.JobId, 1, job.Architecture, StubEvaluationBackend.Score(job), null, "e")))
                s.Apply(e);
        Assert.Null(s.Decide());
        var wanted = s.OffspringWanted!;
        var old = ((CandidatesProposed)first).Jobs[0].Architecture;
        Assert.Null(s.OnChildren(new("s", 1, [old]), out var problem));
        Assert.Contains("proposed before", problem);
        Assert.Null(s.OnChildren(new("s", 1, ["not-an-architecture"]), out problem));
        Assert.NotNull(problem);
        Assert.Null(s.OnChildren(new("s", 5, []), out problem)); // not the generation it waits for: ignored
        Assert.Null(problem);
        Assert.Equal(1, s.OffspringWanted!.Batch);
        Assert.Equal(wanted.Exclude, s.OffspringWanted.Exclude);
    }

    [Fact]
    public void A_search_proposes_evaluates_and_completes_within_its_budget()
    {
        var s = Submitted(24);
        var events = RunToEnd(s);
        Assert.IsType<SearchCompleted>(events[^1]);
        Assert.Equal(SearchStatusNames.Completed, s.Status);
        Assert.Equal(24, events.OfType<EvaluationRecorded>().Count());
        Assert.Equal(events.OfType<CandidatesProposed>().Count(), events.OfType<GenerationCompleted>().Count());
        Assert.Equal(5, ((SearchCompleted)events[^1]).Top.Count);
    }

    [Fact]
    public void Duplicate_results_are_recorded_once()
    {
        var s = Submitted(16);
        var events = RunToEnd(s, deliverTwice: _ => true);
        Assert.Equal(16, events.OfType<EvaluationRecorded>().Select(e => e.JobId).Distinct().Count());
        Assert.Equal(16, events.OfType<EvaluationRecorded>().Count());
    }

    [Fact]
    public void Replaying_the_events_rebuilds_the_same_controller_and_next_proposal()
    {
        var live = Submitted(40);
        var events = new List<ISearchEvent> { new SearchSubmitted("s", live.Spec!, DateTimeOffset.UnixEpoch) };
        // Stop half-way: a proposal is drawn and some of its results are in.
        for (var round = 0; round < 3; round++)
        {
            var p = live.Decide()!;
            live.Apply(p); events.Add(p);
            foreach (var job in live.JobsToEnqueue().Take(round < 2 ? int.MaxValue : 3))
                foreach (var e in live.OnResult(new JobSucceeded("s", job.JobId, 1, job.Architecture, StubEvaluationBackend.Score(job), null, "e")))
                { live.Apply(e); events.Add(e); }
        }
        var replayed = SearchState.Empty("s");
        foreach (var e in events) replayed.Apply(e);
        var fromSnapshot = SearchState.FromSnapshot(live.ToSnapshot());
        foreach (var other in new[] { replayed, fromSnapshot })
        {
            Assert.Equal(live.Controller!.EvaluationsUsed, other.Controller!.EvaluationsUsed);
            Assert.Equal(live.Controller.Pending, other.Controller.Pending);
            Assert.Equal(live.Top(5), other.Top(5));
            Assert.Equal(live.PendingJobs.Select(j => j.JobId), other.PendingJobs.Select(j => j.JobId));
            // Finish all three the same way: the same events follow.
            Assert.Equal(Describe(RunToEnd(Clone(live, events))), Describe(RunToEnd(other)));
        }
    }

    private static SearchState Clone(SearchState _, List<ISearchEvent> events) => Clone(events);

    private static SearchState Clone(List<ISearchEvent> events, bool delegateOffspring = false)
    {
        var s = SearchState.Empty("s", delegateOffspring);
        foreach (var e in events) s.Apply(e);
        return s;
    }

    private static IEnumerable<string> Describe(IEnumerable<ISearchEvent> events) => events.Select(e => e switch
    {
        CandidatesProposed p => $"P{p.Generation}:{string.Join(",", p.Jobs.Select(j => j.Architecture))}",
        EvaluationRecorded r => $"R{r.JobId}:{r.Metrics.Accuracy}",
        SearchCompleted c => $"C:{string.Join(",", c.Top.Select(t => t.Architecture))}",
        _ => e.GetType().Name,
    });

    [Fact]
    public void Failed_attempts_are_retried_then_recorded_as_failed()
    {
        var s = Submitted(8);
        s.Apply(s.Decide()!);
        var job = s.JobsToEnqueue()[0];
        var first = s.OnFailure(new JobFailed("s", job.JobId, 1, job.Architecture, "boom", "e"));
        var f1 = Assert.IsType<EvaluationFailed>(Assert.Single(first));
        Assert.False(f1.Final);
        s.Apply(f1);
        Assert.Equal(2, s.JobsToEnqueue().Single(j => j.JobId == job.JobId).Attempt);
        Assert.Empty(s.OnFailure(new JobFailed("s", job.JobId, 1, job.Architecture, "late", "e"))); // an old attempt
        s.Apply(Assert.Single(s.OnFailure(new JobFailed("s", job.JobId, 2, job.Architecture, "boom", "e"))));
        var last = Assert.IsType<EvaluationFailed>(s.OnFailure(new JobFailed("s", job.JobId, 3, job.Architecture, "boom", "e"))[0]);
        Assert.True(last.Final);
        s.Apply(last);
        Assert.Equal(1, s.FailedCount);
        Assert.DoesNotContain(s.JobsToEnqueue(), j => j.JobId == job.JobId);
    }

    [Fact]
    public void A_paused_search_proposes_nothing_and_hands_out_no_job()
    {
        var s = Submitted();
        s.Apply(s.Decide()!);
        s.Apply(new SearchPaused("s"));
        Assert.Null(s.Decide());
        Assert.Empty(s.JobsToEnqueue());
        s.Apply(new SearchResumed("s"));
        Assert.NotEmpty(s.JobsToEnqueue());
    }

    [Fact]
    public void A_search_that_needs_a_supernet_waits_for_it()
    {
        var s = SearchState.Empty("s");
        s.Apply(new SearchSubmitted("s", TestSpecs.Supernet(), DateTimeOffset.UnixEpoch));
        Assert.Equal(SearchStatusNames.Training, s.Status);
        Assert.Null(s.Decide());
        s.Apply(new SupernetReady("s", new CheckpointRef("ab", "/x", 6), true));
        Assert.Equal(SearchStatusNames.Running, s.Status);
        var p = Assert.IsType<CandidatesProposed>(s.Decide());
        s.Apply(p);
        Assert.All(s.JobsToEnqueue(), j => Assert.Equal("ab", j.Checkpoint!.Sha256));
    }
}
