using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Integration.Tests;

/// <summary>
/// Acceptance: kill -9 a node in the middle of a search, start it again: the search continues from the journal and
/// completes; no evaluation is lost or recorded twice, and the final top-k equals that of a run never killed.
/// </summary>
public sealed class CrashRecoverySpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-crash-").FullName;

    private SearchSpec Spec() => SpecReader.ReadText($$"""
        search {
          name = crash
          space = table
          seed = 11
          budget = 160
          top-k = 10
          controller { name = evolution, settings { population = 16, top_k = 4, mutation_children = 8, crossover_children = 4, generations = 100 } }
          evaluation { kind = stub, table = "{{NodeProcess.Table}}", signal = valid12, stub-cost = 40ms }
        }
        """);

    [Fact]
    public async Task A_search_survives_kill_minus_9_of_its_node_and_ends_as_a_run_never_killed()
    {
        var spec = Spec();
        // The reference: never killed.
        var reference = await RunAsync("reference", spec, killAfter: null);
        // The crash: killed once after 50 evaluations, started again on the same journal.
        var crashed = await RunAsync("crashed", spec, killAfter: 50);

        Assert.Equal(SearchExport.Top(reference, 10).Select(t => (t.Architecture, t.Accuracy)), SearchExport.Top(crashed, 10).Select(t => (t.Architecture, t.Accuracy)));
        var events = await ReadJournalAsync(Path.Combine(_root, "crashed"), "crash-1");
        var proposed = events.OfType<CandidatesProposed>().SelectMany(p => p.Jobs).Select(j => j.JobId).ToArray();
        var recorded = events.OfType<EvaluationRecorded>().Select(r => r.JobId).ToArray();
        Assert.Equal(proposed.Length, proposed.Distinct().Count());
        Assert.Equal(recorded.Length, recorded.Distinct().Count());       // none recorded twice
        Assert.Equal(proposed.Order(), recorded.Order());                 // none lost
        Assert.Equal(spec.Budget, recorded.Length);
        Assert.IsType<SearchCompleted>(events[^1]);
        // The same architectures were evaluated (the order results came in may differ: two evaluators).
        Assert.Equal(reference.Evaluations.Select(e => (e.JobId, e.Architecture, e.Accuracy)).Order(),
            crashed.Evaluations.Select(e => (e.JobId, e.Architecture, e.Accuracy)).Order());
    }

    private async Task<SearchReplies.SearchResults> RunAsync(string name, SearchSpec spec, int? killAfter)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        var port = NodeProcess.FreePort();
        using var client = Client();
        var node = new NodeProcess(folder, port);
        try
        {
            var api = client.ActorSelection($"akka.tcp://nas@127.0.0.1:{port}/user/{SearchApi.Name}");
            var accepted = await Eventually(async () => await api.Ask<object>(new SearchCommands.SubmitSearch("crash-1", spec), TimeSpan.FromSeconds(2)),
                TimeSpan.FromSeconds(60), node);
            Assert.IsType<SearchReplies.SearchAccepted>(accepted);
            if (killAfter is { } n)
            {
                var at = await WaitForStatus(api, s => s.Evaluated >= n, node);
                node.KillHard();
                output.WriteLine($"killed with {at.Evaluated} evaluations recorded, {at.Pending} pending");
                Assert.True(at.Evaluated < spec.Budget, "the node must die in the middle of the search");
                node.Dispose();
                node = new NodeProcess(folder, port);
            }
            await WaitForStatus(api, s => s.Status == SearchStatusNames.Completed, node);
            return await api.Ask<SearchReplies.SearchResults>(new SearchQueries.GetSearchResults("crash-1"), TimeSpan.FromSeconds(10));
        }
        finally
        {
            node.Dispose();
            output.WriteLine($"--- node output ({name}) ---\n{node.Output}");
        }
    }

    private static async Task<SearchReplies.SearchStatus> WaitForStatus(ActorSelection api, Func<SearchReplies.SearchStatus, bool> done, NodeProcess node)
    {
        return await Eventually(async () =>
        {
            var s = await api.Ask<object>(new SearchQueries.GetSearchStatus("crash-1"), TimeSpan.FromSeconds(2));
            return s is SearchReplies.SearchStatus st && done(st) ? st : throw new InvalidOperationException($"not yet: {s}");
        }, TimeSpan.FromSeconds(120), node);
    }

    private static async Task<T> Eventually<T>(Func<Task<T>> attempt, TimeSpan within, NodeProcess node)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try { return await attempt(); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(200); }
            catch (Exception e) { throw new TimeoutException($"{e.Message}\n--- node output ---\n{node.Output}", e); }
        }
    }

    private static ActorSystem Client() => ActorSystem.Create("crash-test-client", ConfigurationFactory.ParseString(NasSerializer.Hocon + """

        akka.loglevel = ERROR
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """));

    private static async Task<List<ISearchEvent>> ReadJournalAsync(string folder, string searchId)
    {
        var config = ConfigurationFactory.ParseString(NasSerializer.Hocon)
            .WithFallback(SqlitePersistence.Config(Path.Combine(folder, "data", "journal.db"), Path.Combine(folder, "data", "snapshots.db")));
        using var system = ActorSystem.Create("journal-reader", config);
        var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>("akka.persistence.query.journal.sql");
        var events = await journal.CurrentEventsByPersistenceId(SearchActor.PersistenceIdOf(searchId), 0, long.MaxValue)
            .RunAggregate(new List<ISearchEvent>(), (l, e) => { l.Add((ISearchEvent)e.Event); return l; }, system.Materializer());
        await system.Terminate();
        return events;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
