using Akka.Actor;
using Microsoft.Data.Sqlite;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Training;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Golden;

/// <summary>
/// Writes a golden journal (on demand, see Golden/README.md: NAS_GOLDEN_OUT names the folder that receives journal.db
/// and snapshots.db). Five searches through the real actors on SQLite files: an evolutionary search with a failing
/// architecture and snapshots, a supernet search with the stub trainer, a paused one, a paused/resumed/cancelled one
/// and one whose trainer fails. It uses only what every version since a493d14 has, so it runs on old checkouts too.
/// </summary>
public sealed class GoldenJournalWriter(ITestOutputHelper log) : SqliteActorSpec(log)
{
    private sealed class FailingTrainer : ISupernetTrainingBackend
    {
        public TrainedCheckpoint Train(TrainingRequest request, Action<TrainedCheckpoint> checkpointed,
            Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel) =>
            throw new InvalidOperationException("golden: the trainer has no data");
    }

    /// <summary>Runs only when NAS_GOLDEN_OUT is set (a tool, not a check: the golden files are checked in).</summary>
    public sealed class WriterFactAttribute : FactAttribute
    {
        public WriterFactAttribute()
        {
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NAS_GOLDEN_OUT")))
                Skip = "writes a golden journal when NAS_GOLDEN_OUT names the output folder";
        }
    }

    [WriterFact]
    public async Task Write_the_golden_journal()
    {
        var outFolder = Environment.GetEnvironmentVariable("NAS_GOLDEN_OUT")!;
        var (searches, _) = StartSearchActors(evaluators: 1, snapshotEvery: 10);
        var (idle, _) = StartSearchActors(evaluators: 0, prefix: "idle-");
        var failingQueue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromSeconds(30)), "failing-queue");
        var failingSettings = new SearchActorSettings
        {
            SnapshotEvery = 0,
            TrainerProps = id => SupernetTrainerActor.Props(id, new FailingTrainer(), Path.Combine(Folder, "checkpoints")),
        };
        var failing = StartSearchRegion(Sys, "failing-search", id => SearchActor.Props(id, failingQueue, failingSettings));

        // The second architecture of the first generation always fails: three attempts, the last one final.
        var spec = TestSpecs.Synthetic(16);
        var first = SearchState.Empty("x");
        first.Apply(new SearchEvents.SearchSubmitted("x", spec, DateTimeOffset.UnixEpoch));
        var jobs = ((SearchEvents.CandidatesProposed)first.Decide()!).Jobs;
        spec = spec with { Evaluation = spec.Evaluation with { FailArchitectures = [jobs[1].Architecture], FailTimes = 0 } };

        await searches.Ask<SearchAccepted>(new SubmitSearch("evolution", spec));
        await searches.Ask<SearchAccepted>(new SubmitSearch("supernet", TestSpecs.Supernet(8)));
        await idle.Ask<SearchAccepted>(new SubmitSearch("paused", TestSpecs.Synthetic(16, seed: 11)));
        await idle.Ask<CommandDone>(new PauseSearch("paused"));
        await idle.Ask<SearchAccepted>(new SubmitSearch("cancelled", TestSpecs.Synthetic(16, seed: 13)));
        await idle.Ask<CommandDone>(new PauseSearch("cancelled"));
        await idle.Ask<CommandDone>(new ResumeSearch("cancelled"));
        await idle.Ask<CommandDone>(new CancelSearch("cancelled", "golden: cancelled by the user"));
        await failing.Ask<SearchAccepted>(new SubmitSearch("failed", TestSpecs.Supernet(8)));

        await AwaitStatusAsync(searches, "evolution", SearchStatusNames.Completed);
        await AwaitStatusAsync(searches, "supernet", SearchStatusNames.Completed);
        await AwaitStatusAsync(failing, "failed", SearchStatusNames.Failed);
        foreach (var (region, id) in new[] { (searches, "evolution"), (searches, "supernet"), (idle, "paused"), (idle, "cancelled"), (failing, "failed") })
        {
            var s = await region.Ask<SearchStatus>(new GetSearchStatus(id));
            Output!.WriteLine($"{id}: {s}");
            var r = await region.Ask<SearchResults>(new GetSearchResults(id));
            foreach (var e in r.Evaluations) Output!.WriteLine($"  {e.JobId} {e.Order} {e.Architecture} {e.Accuracy} {e.Failed} {e.FailureReason}");
        }
        foreach (var summary in await new SearchCatalog(Sys).ListAsync()) Output!.WriteLine(summary.ToString());

        await Sys.Terminate();
        SqliteConnection.ClearAllPools();
        Directory.CreateDirectory(outFolder);
        foreach (var name in new[] { "journal.db", "snapshots.db" })
        {
            var target = Path.Combine(outFolder, name);
            File.Delete(target);
            using var c = new SqliteConnection(SqlitePersistence.ConnectionString(Path.Combine(Folder, name)));
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"PRAGMA wal_checkpoint(TRUNCATE); VACUUM INTO '{target.Replace("'", "''")}';";
            cmd.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
    }
}
