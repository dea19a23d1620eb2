using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Training;
using Xunit.Abstractions;

namespace NasActors.Cluster.Tests;

/// <summary>
/// A test actor system on SQLite files in a temp folder (the real persistence path), with the stubs: a one-node
/// cluster, the populations in a real shard region (as on a node), keyed by search id.
/// </summary>
public abstract class SqliteActorSpec : TestKit
{
    protected SqliteActorSpec(ITestOutputHelper output, string? folder = null) : base(MakeConfig(folder ??= NewFolder()), output: output)
    {
        Folder = folder;
    }

    public string Folder { get; }

    public static string NewFolder() => Directory.CreateTempSubdirectory("nas-cluster-tests-").FullName;

    public static Config MakeConfig(string folder)
    {
        var journal = Path.Combine(folder, "journal.db");
        var snapshots = Path.Combine(folder, "snapshots.db");
        SqlitePersistence.Prepare(journal, snapshots);
        return ConfigurationFactory.ParseString(NasSerializer.Hocon + """

            akka.loglevel = INFO
            akka.persistence.journal.sql.warn-on-auto-init-fail = false
            """).WithFallback(OneNodeCluster).WithFallback(SqlitePersistence.Config(journal, snapshots, TimeSpan.FromMilliseconds(50)));
    }

    /// <summary>A cluster provider on a loopback port of its own, sharding with the node's settings.</summary>
    public static Config OneNodeCluster => ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster.sharding.state-store-mode = ddata
        """);

    /// <summary>Joins this system to itself and starts a shard region of populations (type name unique per call).</summary>
    public static IActorRef StartSearchRegion(ActorSystem system, string typeName, Func<string, Props> population)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(cluster.SelfAddress);
        return ClusterSharding.Get(system).Start(typeName, population, ClusterShardingSettings.Create(system), new SearchMessageExtractor());
    }

    /// <summary>Queue, evaluators and the search shard region, wired as a node wires them.</summary>
    /// <param name="mutators">The mutator pool; by default a pool of two, as on a node; <see cref="ActorRefs.Nobody"/>: none (the controller produces children).</param>
    protected (IActorRef Searches, IActorRef Queue) StartSearchActors(int evaluators = 2, int snapshotEvery = 0,
        TimeSpan? jobTimeout = null, IEvaluationBackend? backend = null, string prefix = "", IActorRef? mutators = null,
        TimeSpan? resendEvery = null)
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(jobTimeout ?? TimeSpan.FromSeconds(30)), prefix + "queue");
        var evaluation = backend ?? new EvaluationBackends(() => new StubEvaluationBackend());
        for (var i = 0; i < evaluators; i++) Sys.ActorOf(EvaluatorActor.Props(queue, evaluation), $"{prefix}evaluator-{i}");
        var settings = new SearchActorSettings
        {
            SnapshotEvery = snapshotEvery,
            ExportFolder = Path.Combine(Folder, "exports"),
            Mutators = mutators == ActorRefs.Nobody ? null
                : mutators ?? Sys.ActorOf(MutatorActor.Props().WithRouter(new Akka.Routing.RoundRobinPool(2)), prefix + "mutators"),
            ResendPendingEvery = resendEvery ?? new SearchActorSettings().ResendPendingEvery,
            TrainerProps = id => SupernetTrainerActor.Props(id, new StubTrainingBackend(TimeSpan.Zero), Path.Combine(Folder, "checkpoints")),
        };
        var searches = StartSearchRegion(Sys, prefix + "search", id => SearchActor.Props(id, queue, settings));
        return (searches, queue);
    }

    /// <summary>The events of a search, from the journal.</summary>
    protected Task<List<ISearchEvent>> JournalEvents(string searchId) => JournalEvents<ISearchEvent>(SearchActor.PersistenceIdOf(searchId));

    /// <summary>The events of a persistence id, from the journal (Persistence.Query).</summary>
    protected async Task<List<T>> JournalEvents<T>(string persistenceId)
    {
        var journal = Akka.Persistence.Query.PersistenceQuery.Get(Sys)
            .ReadJournalFor<Akka.Persistence.Sql.Query.SqlReadJournal>("akka.persistence.query.journal.sql");
        return await journal.CurrentEventsByPersistenceId(persistenceId, 0, long.MaxValue)
            .Select(e => (T)e.Event)
            .RunAggregate(new List<T>(), (l, e) => { l.Add(e); return l; }, Sys.Materializer());
    }

    /// <summary>Waits (no sleeps) until the search reports the status.</summary>
    protected async Task<SearchReplies.SearchStatus> AwaitStatusAsync(IActorRef searches, string id, string status, TimeSpan? within = null)
    {
        SearchReplies.SearchStatus? last = null;
        await AwaitAssertAsync(async () =>
        {
            last = await searches.Ask<SearchReplies.SearchStatus>(new SearchQueries.GetSearchStatus(id), TimeSpan.FromSeconds(5));
            Assert.Equal(status, last.Status);
        }, within ?? TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(50));
        return last!;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
