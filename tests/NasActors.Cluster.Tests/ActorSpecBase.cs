using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Population;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Training;
using Xunit.Abstractions;

namespace NasActors.Cluster.Tests;

/// <summary>A test actor system on SQLite files in a temp folder (the real persistence path), with the stubs.</summary>
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
            """).WithFallback(SqlitePersistence.Config(journal, snapshots, TimeSpan.FromMilliseconds(50)));
    }

    /// <summary>Queue, evaluators and a local search parent, wired as a node wires them.</summary>
    protected (IActorRef Searches, IActorRef Queue) StartSearchActors(int evaluators = 2, int snapshotEvery = 0,
        TimeSpan? jobTimeout = null, IEvaluationBackend? backend = null, string prefix = "")
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(jobTimeout ?? TimeSpan.FromSeconds(30)), prefix + "queue");
        var evaluation = backend ?? new EvaluationBackends(() => new StubEvaluationBackend());
        for (var i = 0; i < evaluators; i++) Sys.ActorOf(EvaluatorActor.Props(queue, evaluation), $"{prefix}evaluator-{i}");
        var settings = new PopulationSettings
        {
            SnapshotEvery = snapshotEvery,
            ExportFolder = Path.Combine(Folder, "exports"),
            TrainerProps = id => SupernetTrainerActor.Props(id, new StubTrainingBackend(TimeSpan.Zero), Path.Combine(Folder, "checkpoints")),
        };
        var searches = Sys.ActorOf(SearchParent.Props(id => PopulationActor.Props(id, queue, settings)), prefix + "searches");
        return (searches, queue);
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
