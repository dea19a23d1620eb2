using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Actor;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Searches;

public sealed class SearchActorSpec(ITestOutputHelper output) : SqliteActorSpec(output)
{
    [Fact]
    public async Task A_submitted_search_runs_to_completion_and_exports_its_results()
    {
        var (searches, _) = StartSearchActors(evaluators: 3);
        var reply = await searches.Ask<object>(new SubmitSearch("a", TestSpecs.Synthetic(24)), TimeSpan.FromSeconds(10));
        Assert.IsType<SearchAccepted>(reply);
        Assert.IsType<SearchAccepted>(await searches.Ask<object>(new SubmitSearch("a", TestSpecs.Synthetic(24)))); // a retry
        Assert.IsType<SearchRejected>(await searches.Ask<object>(new SubmitSearch("a", TestSpecs.Synthetic(30))));
        var status = await AwaitStatusAsync(searches, "a", SearchStatusNames.Completed);
        Assert.Equal(24, status.Evaluated);
        Assert.Equal(0, status.Pending);
        var top = await searches.Ask<TopK>(new GetTopK("a", 5));
        Assert.Equal(5, top.Entries.Count);
        Assert.True(top.Entries.Zip(top.Entries.Skip(1)).All(p => p.Item1.Accuracy >= p.Item2.Accuracy));
        Assert.True(File.Exists(Path.Combine(Folder, "exports", "a", "results.json")));
    }

    [Fact]
    public async Task Unknown_search_answers_no_such_search()
    {
        var (searches, _) = StartSearchActors(evaluators: 0);
        Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new GetSearchStatus("nope")));
        Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new PauseSearch("nope")));
        Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new GetTopK("nope", 3)));
    }

    [Fact]
    public async Task A_rejected_spec_persists_nothing()
    {
        var (searches, _) = StartSearchActors(evaluators: 0);
        var bad = TestSpecs.Synthetic() with { Controller = "annealing" };
        var reply = await searches.Ask<object>(new SubmitSearch("bad", bad));
        Assert.Contains("annealing", Assert.IsType<SearchRejected>(reply).Reason);
        Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new GetSearchStatus("bad")));
        Assert.Null(await new SearchCatalog(Sys).GetAsync("bad"));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/tmp/x")]
    public async Task A_search_id_that_could_name_a_path_outside_its_folder_is_rejected_and_persists_nothing(string id)
    {
        // The population checks the id itself: a submit from another node or a script does not pass the command line.
        var (searches, _) = StartSearchActors(evaluators: 0);
        var within = TimeSpan.FromSeconds(20);
        var reply = await searches.Ask<object>(new SubmitSearch(id, TestSpecs.Synthetic()), within);
        Assert.Contains("search id", Assert.IsType<SearchRejected>(reply).Reason);
        Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new GetSearchStatus(id), within));
        Assert.Null(await new SearchCatalog(Sys).GetAsync(id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("a/b")]
    public async Task The_node_api_answers_a_search_id_the_region_cannot_route_and_persists_nothing(string id)
    {
        // The region drops a message with an empty entity id without a word; the node's front door answers it.
        var (searches, _) = StartSearchActors(evaluators: 0);
        var api = Sys.ActorOf(NasActors.Cluster.Hosting.SearchApi.Props(searches, new SearchCatalog(Sys), wakeOnStart: false));
        var within = TimeSpan.FromSeconds(20);
        var reply = await api.Ask<object>(new SubmitSearch(id, TestSpecs.Synthetic()), within);
        Assert.Contains("search id", Assert.IsType<SearchRejected>(reply).Reason);
        Assert.IsType<NoSuchSearch>(await api.Ask<object>(new GetSearchStatus(id), within));
        Assert.Null(await new SearchCatalog(Sys).GetAsync(id));
    }

    [Fact]
    public async Task Pause_resume_and_cancel_change_the_status()
    {
        var (searches, _) = StartSearchActors(evaluators: 0); // nothing evaluates: the search stays running
        await searches.Ask<SearchAccepted>(new SubmitSearch("p", TestSpecs.Synthetic(24)));
        Assert.True((await searches.Ask<CommandDone>(new PauseSearch("p"))).Changed);
        Assert.False((await searches.Ask<CommandDone>(new PauseSearch("p"))).Changed);
        Assert.Equal(SearchStatusNames.Paused, (await searches.Ask<SearchStatus>(new GetSearchStatus("p"))).Status);
        Assert.True((await searches.Ask<CommandDone>(new ResumeSearch("p"))).Changed);
        Assert.True((await searches.Ask<CommandDone>(new CancelSearch("p", "test"))).Changed);
        Assert.Equal(SearchStatusNames.Cancelled, (await searches.Ask<SearchStatus>(new GetSearchStatus("p"))).Status);
        Assert.False((await searches.Ask<CommandDone>(new ResumeSearch("p"))).Changed);
    }

    [Fact]
    public async Task A_restarted_population_recovers_from_journal_and_snapshots_and_completes()
    {
        var (searches, _) = StartSearchActors(evaluators: 0, snapshotEvery: 5, prefix: "first-");
        await searches.Ask<SearchAccepted>(new SubmitSearch("r", TestSpecs.Synthetic(32)));
        // No evaluator in the first system: stop everything with jobs pending, then start anew with evaluators.
        var before = await searches.Ask<SearchStatus>(new GetSearchStatus("r"));
        Assert.Equal(8, before.Pending);
        await searches.GracefulStop(TimeSpan.FromSeconds(5));
        var (again, _) = StartSearchActors(evaluators: 2, snapshotEvery: 5, prefix: "second-");
        var done = await AwaitStatusAsync(again, "r", SearchStatusNames.Completed);
        Assert.Equal(32, done.Evaluated);
        var events = await JournalEvents("r");
        var recorded = events.OfType<SearchEvents.EvaluationRecorded>().Select(e => e.JobId).ToArray();
        Assert.Equal(recorded.Distinct().Count(), recorded.Length);
        Assert.Equal(32, recorded.Length);
    }

    [Fact]
    public async Task Failing_evaluations_are_retried_then_recorded_as_failed()
    {
        var (searches, _) = StartSearchActors(evaluators: 2);
        var spec = TestSpecs.Synthetic(8);
        // Make two architectures of the first generation fail: one recovers on its second attempt, one never.
        var first = SearchState.Empty("x");
        first.Apply(new SearchEvents.SearchSubmitted("x", spec, DateTimeOffset.UnixEpoch));
        var jobs = ((SearchEvents.CandidatesProposed)first.Decide()!).Jobs;
        spec = spec with { Evaluation = spec.Evaluation with { FailArchitectures = [jobs[0].Architecture], FailTimes = 1 } };
        var never = spec with { Evaluation = spec.Evaluation with { FailArchitectures = [jobs[1].Architecture], FailTimes = 0 } };
        await searches.Ask<SearchAccepted>(new SubmitSearch("f1", spec));
        await searches.Ask<SearchAccepted>(new SubmitSearch("f2", never));
        var s1 = await AwaitStatusAsync(searches, "f1", SearchStatusNames.Completed);
        var s2 = await AwaitStatusAsync(searches, "f2", SearchStatusNames.Completed);
        Assert.Equal((8, 0), (s1.Evaluated, s1.Failed));
        Assert.Equal((7, 1), (s2.Evaluated, s2.Failed));
        var failures = (await JournalEvents("f2")).OfType<SearchEvents.EvaluationFailed>().ToArray();
        Assert.Equal([1, 2, 3], failures.Select(f => f.Attempt));
        Assert.True(failures[^1].Final);
    }

    [Fact]
    public async Task A_search_with_a_supernet_evaluates_after_the_trainer_reports_it_ready()
    {
        var (searches, _) = StartSearchActors(evaluators: 2,
            backend: new NasActors.Cluster.Evaluation.EvaluationBackends(() => new NasActors.Cluster.Evaluation.StubEvaluationBackend()));
        await searches.Ask<SearchAccepted>(new SubmitSearch("t", TestSpecs.Supernet(16)));
        var done = await AwaitStatusAsync(searches, "t", SearchStatusNames.Completed);
        Assert.Equal(16, done.Evaluated);
        Assert.Equal(6, done.TrainingStep);
        var events = await JournalEvents("t");
        var ready = Assert.Single(events.OfType<SearchEvents.SupernetReady>());
        Assert.True(ready.Final);
        // The first proposal came after the supernet was ready.
        Assert.True(events.IndexOf(ready) < events.FindIndex(e => e is SearchEvents.CandidatesProposed));
        var trainer = await JournalEvents<NasActors.Cluster.Training.ITrainingEvent>("trainer-t");
        Assert.IsType<NasActors.Cluster.Training.TrainingEvents.TrainingStarted>(trainer[0]);
        Assert.Equal(3, trainer.OfType<NasActors.Cluster.Training.TrainingEvents.CheckpointSaved>().Count());
        Assert.IsType<NasActors.Cluster.Training.TrainingEvents.TrainingCompleted>(trainer[^1]);
    }

    [Fact]
    public async Task The_projection_lists_searches_without_waking_them()
    {
        var (searches, _) = StartSearchActors(evaluators: 2);
        await searches.Ask<SearchAccepted>(new SubmitSearch("l1", TestSpecs.Synthetic(8)));
        await AwaitStatusAsync(searches, "l1", SearchStatusNames.Completed);
        await searches.GracefulStop(TimeSpan.FromSeconds(5));
        var list = await new SearchCatalog(Sys).ListAsync();
        var s = Assert.Single(list);
        Assert.Equal(("l1", SearchStatusNames.Completed, 8), (s.SearchId, s.Status, s.Evaluated));
    }
}
