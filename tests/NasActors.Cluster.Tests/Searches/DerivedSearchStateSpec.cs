using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Training;
using NasActors.Core.Spaces;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Tests.Searches;

/// <summary>A derived search's logic without actors: the final supernet's distribution in, its best architectures out.</summary>
public sealed class DerivedSearchStateSpec
{
    private static readonly CheckpointRef Final = new("ff", "/tmp/ff.stub", 6);

    private static SearchState Submitted(string method = "darts", int budget = 6)
    {
        var s = SearchState.Empty("d");
        s.Apply(new SearchSubmitted("d", TestSpecs.Derived(method, budget), DateTimeOffset.UnixEpoch));
        return s;
    }

    /// <summary>The stub trainer's final export for the spec (a distribution over the six layers of fmnist-mbconv).</summary>
    private static ArchitectureExport Export(SearchState s) =>
        StubTrainingBackend.Distribution(new TrainingRequest("d", s.Spec!, "/tmp", null), s.Spec!.Training.Steps)!;

    /// <summary>Evaluates the pending jobs (stub scores) and decides, until the search completes; every event in order.</summary>
    private static List<ISearchEvent> RunToEnd(SearchState s)
    {
        var events = new List<ISearchEvent>();
        while (true)
        {
            foreach (var job in s.JobsToEnqueue())
                foreach (var e in s.OnResult(new JobSucceeded("d", job.JobId, job.Attempt, job.Architecture, StubEvaluationBackend.Score(job), null, "e")))
                {
                    s.Apply(e);
                    events.Add(e);
                }
            if (s.Decide() is not { } next) return events;
            s.Apply(next);
            events.Add(next);
            if (next is SearchCompleted) return events;
        }
    }

    [Fact]
    public void Nothing_is_proposed_before_the_trainer_reports_its_final_distribution()
    {
        var s = Submitted();
        Assert.Null(s.Decide());
        Assert.Equal(SearchStatusNames.Training, s.Status);
    }

    [Fact]
    public void The_final_distribution_is_recorded_with_the_supernet_and_its_argmax_is_proposed_first()
    {
        var s = Submitted(budget: 6);
        var export = Export(s);
        var ready = Assert.IsType<SupernetReady>(s.OnTrainingCompleted(new TrainingEvents.TrainingCompleted("d", Final, export)));
        Assert.Same(export, ready.Distribution);
        s.Apply(ready);
        var events = RunToEnd(s);
        var proposed = events.OfType<CandidatesProposed>().SelectMany(p => p.Jobs).OrderBy(j => j.JobId).Select(j => j.Architecture).ToArray();
        Assert.Equal(export.Argmax, proposed[0]);
        Assert.Equal(export.ToDistribution()!.MostProbable(6).Select(p => p.Architecture.ToString()), proposed);
        Assert.Equal(2, events.OfType<CandidatesProposed>().Count()); // batch = 4: the argmax and three, then two
        Assert.IsType<SearchCompleted>(events[^1]);
    }

    [Fact]
    public void A_repeated_completion_brings_nothing()
    {
        var s = Submitted();
        var c = new TrainingEvents.TrainingCompleted("d", Final, Export(s));
        s.Apply(s.OnTrainingCompleted(c)!);
        Assert.Null(s.OnTrainingCompleted(c));
    }

    [Fact]
    public void A_completion_without_a_distribution_fails_a_derived_search_naming_why()
    {
        var s = Submitted();
        var failed = Assert.IsType<SearchFailed>(s.OnTrainingCompleted(new TrainingEvents.TrainingCompleted("d", Final)));
        Assert.Contains("no architecture distribution", failed.Reason);
        var wrongSpace = ArchitectureExport.From(new ArchitectureDistribution([[0.5, 0.5]]));
        Assert.Contains("decisions", Assert.IsType<SearchFailed>(s.OnTrainingCompleted(new TrainingEvents.TrainingCompleted("d", Final, wrongSpace))).Reason);
    }

    [Fact]
    public void A_search_rebuilt_from_its_snapshot_or_its_events_proposes_the_same()
    {
        var live = Submitted(budget: 6);
        live.Apply(live.OnTrainingCompleted(new TrainingEvents.TrainingCompleted("d", Final, Export(live)))!);
        var first = (CandidatesProposed)live.Decide()!;
        live.Apply(first);
        // Half the first generation evaluated, then a snapshot and a replay of the events.
        var events = new List<ISearchEvent> { new SearchSubmitted("d", live.Spec!, DateTimeOffset.UnixEpoch),
            new SupernetReady("d", Final, true, live.Distribution), first };
        foreach (var job in live.JobsToEnqueue().Take(2))
            foreach (var e in live.OnResult(new JobSucceeded("d", job.JobId, job.Attempt, job.Architecture, StubEvaluationBackend.Score(job), null, "e")))
            {
                live.Apply(e);
                events.Add(e);
            }
        var fromSnapshot = SearchState.FromSnapshot(live.ToSnapshot());
        var fromEvents = SearchState.Empty("d");
        foreach (var e in events) fromEvents.Apply(e);
        var rest = Describe(RunToEnd(live)).ToArray();
        Assert.Equal(["recorded 2", "recorded 3", "GenerationCompleted", "proposed 1: 4:" + string.Join(",5:", Export(live).ToDistribution()!
            .MostProbable(6).Skip(4).Select(p => p.Architecture.ToString()))], rest.Take(4));
        Assert.Equal(rest, Describe(RunToEnd(fromSnapshot)));
        Assert.Equal(rest, Describe(RunToEnd(fromEvents)));
    }

    private static IEnumerable<string> Describe(IEnumerable<ISearchEvent> events) => events.Select(e => e switch
    {
        CandidatesProposed p => $"proposed {p.Generation}: {string.Join(",", p.Jobs.Select(j => $"{j.JobId}:{j.Architecture}"))}",
        EvaluationRecorded r => $"recorded {r.JobId}",
        SearchCompleted c => $"completed {c.Evaluations}: {string.Join(",", c.Top.Select(t => t.Architecture))}",
        _ => e.GetType().Name,
    });
}
