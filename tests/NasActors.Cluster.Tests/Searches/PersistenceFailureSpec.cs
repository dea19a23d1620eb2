using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.TestKit;
using Akka.TestKit.Xunit2;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using Xunit.Abstractions;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Searches;

/// <summary>With journal writes failing (Akka.Persistence.TestKit's TestJournal), nothing unpersisted is acted on.</summary>
public sealed class PersistenceFailureSpec(ITestOutputHelper output) : TestKit(Config(), output: output)
{
    private static Config Config() => ConfigurationFactory.ParseString(NasSerializer.Hocon + """

        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.loglevel = INFO
        """).WithFallback(SqliteActorSpec.OneNodeCluster).WithFallback(ConfigurationFactory.FromResource<TestJournal>("Akka.Persistence.TestKit.config.conf"));

    private ITestJournal Journal => TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));

    private IActorRef Searches(IActorRef queue) =>
        SqliteActorSpec.StartSearchRegion(Sys, "search-" + Guid.NewGuid().ToString("N"), id => SearchActor.Props(id, queue, new SearchActorSettings()));

    [Fact]
    public async Task A_submit_whose_event_cannot_be_written_is_reported_and_not_acted_on()
    {
        var queue = CreateTestProbe();
        var searches = Searches(queue.Ref);
        await Journal.OnWrite.Fail();
        var reply = await searches.Ask<object>(new SubmitSearch("w", TestSpecs.Synthetic()), TimeSpan.FromSeconds(10));
        Assert.Contains("SearchSubmitted", Assert.IsType<PersistenceFailed>(reply).Reason);
        await queue.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300)); // no job handed out
        await Journal.OnWrite.Pass();
        // Asked again while the stopping entity loses the query (see the next test).
        await AwaitAssertAsync(async () => Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new GetSearchStatus("w"), TimeSpan.FromSeconds(2))),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task A_result_whose_event_cannot_be_written_is_not_counted_and_the_search_recovers()
    {
        var queue = CreateTestProbe();
        var searches = Searches(queue.Ref);
        await searches.Ask<SearchAccepted>(new SubmitSearch("r", TestSpecs.Synthetic(8)), TimeSpan.FromSeconds(10));
        var jobs = (await queue.ExpectMsgAsync<EnqueueJobs>()).Jobs;
        var failures = CreateTestProbe();
        Sys.EventStream.Subscribe(failures.Ref, typeof(PersistenceFailed));

        await Journal.OnWrite.Fail();
        var j = jobs[0];
        searches.Tell(new JobSucceeded("r", j.JobId, 1, j.Architecture, new(80, 0, 0, 0, 0), null, "e"), queue.Ref);
        await failures.ExpectMsgAsync<PersistenceFailed>();
        await Journal.OnWrite.Pass();

        // The population stopped; the next message recovers it from the journal: the result was never counted,
        // and the recovered search hands its jobs out again, the failed one included. A query that reaches the
        // stopping entity before its shard saw it stop is lost (dead letters), as for any client: ask again.
        SearchStatus status = null!;
        await AwaitAssertAsync(async () => status = await searches.Ask<SearchStatus>(new GetSearchStatus("r"), TimeSpan.FromSeconds(2)),
            TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, status.Evaluated);
        Assert.Equal(8, status.Pending);
        var again = await queue.FishForMessageAsync<EnqueueJobs>(m => m.Jobs.Any(x => x.JobId == j.JobId));
        Assert.Equal(8, again.Jobs.Count);
    }

    [Fact]
    public async Task A_rejected_write_is_reported_and_the_search_starts_again_from_the_journal()
    {
        var queue = CreateTestProbe();
        var searches = Searches(queue.Ref);
        await searches.Ask<SearchAccepted>(new SubmitSearch("x", TestSpecs.Synthetic(8)), TimeSpan.FromSeconds(10));
        await queue.ExpectMsgAsync<EnqueueJobs>();
        await Journal.OnWrite.Reject();
        var reply = await searches.Ask<object>(new PauseSearch("x"), TimeSpan.FromSeconds(10));
        Assert.IsType<PersistenceFailed>(reply);
        await Journal.OnWrite.Pass();
        Assert.Equal(SearchStatusNames.Running, (await searches.Ask<SearchStatus>(new GetSearchStatus("x"), TimeSpan.FromSeconds(10))).Status);
    }
}
