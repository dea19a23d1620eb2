using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Population;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;
using static NasActors.Cluster.Population.SearchEvents;

namespace NasActors.Cluster.Tests.Population;

/// <summary>The search's logic without actors: events in, decisions out.</summary>
public sealed class SearchStateSpec
{
    private static SearchState Submitted(int budget = 24)
    {
        var s = SearchState.Empty("s");
        s.Apply(new SearchSubmitted("s", TestSpecs.Synthetic(budget), DateTimeOffset.UnixEpoch));
        return s;
    }

    /// <summary>Runs the search to the end, evaluating with the stub, and returns every event in order.</summary>
    private static List<ISearchEvent> RunToEnd(SearchState s, Func<int, bool>? deliverTwice = null)
    {
        var events = new List<ISearchEvent>();
        void Apply(ISearchEvent e) { s.Apply(e); events.Add(e); }
        while (s.Decide() is { } next)
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

    private static SearchState Clone(SearchState _, List<ISearchEvent> events)
    {
        var s = SearchState.Empty("s");
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
