using Akka.Actor;
using Microsoft.Data.Sqlite;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Training;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchEvents;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Golden;

/// <summary>
/// Replays a golden journal (checked in, written by an earlier version, see README.md) on a copy of its files: every
/// search and trainer must come back to the state listed here, and every stored manifest must still name its type.
/// </summary>
public abstract class GoldenJournalSpec(ITestOutputHelper output, string version) : SqliteActorSpec(output, CopyOf(version))
{
    private const string SupernetCheckpoint = "3175f05709f3a3f142ac61bfde217c2e637f6e6b2be45be9d65c6db15660bead";

    /// <summary>The manifests the version wrote (journal rows and snapshots), sorted.</summary>
    protected abstract string[] StoredManifests { get; }

    /// <summary>The persisted types the golden files hold: every event and the snapshot.</summary>
    private static readonly Type[] StoredTypes =
    [
        typeof(SearchSubmitted), typeof(SupernetReady), typeof(CandidatesProposed), typeof(EvaluationRecorded), typeof(EvaluationFailed),
        typeof(OffspringProduced), typeof(GenerationCompleted), typeof(SearchPaused), typeof(SearchResumed), typeof(SearchCancelled),
        typeof(SearchFailed), typeof(SearchCompleted), typeof(SearchSnapshot),
        typeof(TrainingEvents.TrainingStarted), typeof(TrainingEvents.CheckpointSaved), typeof(TrainingEvents.TrainingCompleted),
    ];

    private static readonly SearchStatus[] Statuses =
    [
        new("cancelled", "synthetic", SearchStatusNames.Cancelled, "evolution", "fmnist-mbconv", 16, 0, 0, 8, 0, null, null, 0, 0, null),
        new("evolution", "synthetic", SearchStatusNames.Completed, "evolution", "fmnist-mbconv", 16, 15, 1, 0, 2, "042434", 93.909, 0, 0, null),
        new("failed", "supernet", SearchStatusNames.Failed, "evolution", "fmnist-mbconv", 8, 0, 0, 0, 0, null, null, 0, 6, null),
        new("paused", "synthetic", SearchStatusNames.Paused, "evolution", "fmnist-mbconv", 16, 0, 0, 8, 0, null, null, 0, 0, null),
        new("supernet", "supernet", SearchStatusNames.Completed, "evolution", "fmnist-mbconv", 8, 8, 0, 0, 1, "310202", 97.3497, 6, 6, SupernetCheckpoint),
    ];

    /// <summary>The results of the two searches that evaluated, in the order they were resolved: job, architecture, accuracy.</summary>
    private static readonly Dictionary<string, (int Job, string Architecture, double Accuracy)[]> Histories = new()
    {
        ["evolution"] =
        [
            (0, "014434", 76.9689), (2, "250020", 75.9295), (3, "055003", 64.1255), (4, "554322", 81.4381), (5, "142434", 87.4296),
            (6, "000425", 69.5441), (7, "250341", 55.1299), (1, "110153", double.NaN), (8, "141434", 59.1017), (9, "042434", 93.909),
            (10, "142424", 82.4999), (11, "140434", 88.5133), (12, "014322", 86.7233), (13, "154332", 51.2008), (14, "011000", 63.7478),
            (15, "153245", 91.5159),
        ],
        ["supernet"] =
        [
            (0, "333411", 52.7761), (1, "304102", 76.7896), (2, "550040", 97.0162), (3, "232430", 90.9614), (4, "253301", 72.8289),
            (5, "033333", 59.4948), (6, "310202", 97.3497), (7, "234415", 65.7425),
        ],
    };

    private static string CopyOf(string version)
    {
        var folder = NewFolder();
        foreach (var name in new[] { "journal.db", "snapshots.db" })
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Golden", version, name), Path.Combine(folder, name));
        return folder;
    }

    [Fact]
    public async Task Every_search_recovers_in_its_actor_to_the_recorded_state()
    {
        var (searches, _) = StartSearchActors(evaluators: 0); // nothing may change what the journal says
        foreach (var expected in Statuses)
        {
            Assert.Equal(expected, await searches.Ask<SearchStatus>(new GetSearchStatus(expected.SearchId), TimeSpan.FromSeconds(10)));
            var results = await searches.Ask<SearchResults>(new GetSearchResults(expected.SearchId));
            AssertHistory(expected.SearchId, results.Evaluations);
        }
        var top = await searches.Ask<TopK>(new GetTopK("evolution", 3));
        Assert.Equal(["042434", "153245", "140434"], top.Entries.Select(e => e.Architecture));
        var failed = (await searches.Ask<SearchResults>(new GetSearchResults("evolution"))).Evaluations.Single(e => e.Failed);
        Assert.Equal("stub failure of 110153 (attempt 3)", failed.FailureReason);
    }

    [Fact]
    public async Task Every_search_replays_from_its_events_alone_to_the_recorded_state()
    {
        foreach (var expected in Statuses)
        {
            var state = SearchState.Empty(expected.SearchId, delegateOffspring: true);
            foreach (var e in await JournalEvents(expected.SearchId)) state.Apply(e);
            Assert.Equal(expected, state.ToStatus(state.Spec!.NeedsSupernet ? state.Spec.Training.Steps : 0));
            AssertHistory(expected.SearchId, state.History());
        }
    }

    [Fact]
    public async Task The_catalog_lists_the_recorded_searches()
    {
        var listed = await new SearchCatalog(Sys).ListAsync();
        Assert.Equal(Statuses.Select(s => (s.SearchId, s.Status, s.Evaluated, s.Failed, s.BestArchitecture)),
            listed.Select(s => (s.SearchId, s.Status, s.Evaluated, s.Failed, s.BestArchitecture)));
    }

    [Fact]
    public async Task The_trainer_journals_replay_to_their_checkpoints()
    {
        var trainer = await JournalEvents<ITrainingEvent>("trainer-supernet");
        Assert.Equal(new TrainingEvents.TrainingStarted("supernet", "fairnas", 6), trainer[0]);
        Assert.Equal([2L, 4, 6], trainer.OfType<TrainingEvents.CheckpointSaved>().Select(c => c.Checkpoint.Step));
        Assert.Equal(new TrainingEvents.TrainingStarted("failed", "fairnas", 6), Assert.Single(await JournalEvents<ITrainingEvent>("trainer-failed")));

        // Recovered, the trainer answers from its journal: training is complete, with the checkpoint it recorded.
        var spec = ((SearchSubmitted)(await JournalEvents("supernet"))[0]).Spec;
        var actor = Sys.ActorOf(SupernetTrainerActor.Props("supernet", new NoTraining(), Path.Combine(Folder, "checkpoints"), TestActor));
        actor.Tell(new TrainingProtocol.StartTraining("supernet", spec));
        var completed = await ExpectMsgAsync<TrainingEvents.TrainingCompleted>(TimeSpan.FromSeconds(10));
        Assert.Equal((SupernetCheckpoint, 6L), (completed.Checkpoint.Sha256, completed.Checkpoint.Step));
    }

    [Fact]
    public void Every_manifest_in_the_golden_files_names_its_type()
    {
        var stored = Rows().Select(r => r.Manifest).Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(StoredManifests, stored);
        Assert.All(Rows(), r => Assert.Equal(NasSerializer.Id, r.Serializer));
        // A changed or removed manifest fails here, naming it.
        Assert.Equal(StoredTypes.Select(t => t.FullName).Order(), stored.Select(m => NasManifests.Resolve(m).FullName).Order());
    }

    [Fact]
    public void Every_stored_row_reads_as_the_type_its_manifest_names()
    {
        foreach (var (_, manifest, serializer, bytes) in Rows())
        {
            var message = Sys.Serialization.Deserialize(bytes, serializer, manifest);
            Assert.IsAssignableFrom<INasMessage>(message);
            Assert.Equal(NasManifests.Resolve(manifest), message.GetType());
        }
    }

    private void AssertHistory(string searchId, IReadOnlyList<RankedArchitecture> history)
    {
        var expected = Histories.GetValueOrDefault(searchId, []);
        Assert.Equal(expected, history.Select(r => (r.JobId, r.Architecture, r.Accuracy)));
        Assert.Equal(expected.Select(e => double.IsNaN(e.Accuracy)), history.Select(r => r.Failed));
    }

    private IReadOnlyList<(string PersistenceId, string Manifest, int Serializer, byte[] Bytes)> Rows()
    {
        var rows = new List<(string, string, int, byte[])>();
        foreach (var (file, sql) in new[]
                 {
                     ("journal.db", "SELECT persistence_id, manifest, identifier, message FROM journal ORDER BY ordering"),
                     ("snapshots.db", "SELECT persistence_id, manifest, serializer_id, snapshot FROM snapshot ORDER BY persistence_id"),
                 })
        {
            using var c = new SqliteConnection(new SqliteConnectionStringBuilder
                { DataSource = Path.Combine(Folder, file), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            using var r = cmd.ExecuteReader();
            while (r.Read()) rows.Add((r.GetString(0), r.GetString(1), r.GetInt32(2), (byte[])r.GetValue(3)));
        }
        return rows;
    }

    /// <summary>A trainer that must not train: the recovered journal says training is complete.</summary>
    private sealed class NoTraining : ISupernetTrainingBackend
    {
        public TrainedCheckpoint Train(TrainingRequest request, Action<TrainedCheckpoint> checkpointed,
            Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel) =>
            throw new InvalidOperationException("the recovered trainer trained again");
    }
}

/// <summary>Written at a493d14, before explicit manifests: every manifest is a type's name (read through the legacy table).</summary>
public sealed class GoldenJournalV1Spec(ITestOutputHelper output) : GoldenJournalSpec(output, "v1-type-name-manifests")
{
    protected override string[] StoredManifests =>
    [
        "Population.SearchEvents+CandidatesProposed", "Population.SearchEvents+EvaluationFailed", "Population.SearchEvents+EvaluationRecorded",
        "Population.SearchEvents+GenerationCompleted", "Population.SearchEvents+OffspringProduced", "Population.SearchEvents+SearchCancelled",
        "Population.SearchEvents+SearchCompleted", "Population.SearchEvents+SearchFailed", "Population.SearchEvents+SearchPaused",
        "Population.SearchEvents+SearchResumed", "Population.SearchEvents+SearchSubmitted", "Population.SearchEvents+SupernetReady",
        "Population.SearchSnapshot",
        "Training.TrainingEvents+CheckpointSaved", "Training.TrainingEvents+TrainingCompleted", "Training.TrainingEvents+TrainingStarted",
    ];
}

/// <summary>Written with the explicit manifests of <see cref="NasManifests"/>.</summary>
public sealed class GoldenJournalV2Spec(ITestOutputHelper output) : GoldenJournalSpec(output, "v2-explicit-manifests")
{
    protected override string[] StoredManifests =>
    [
        "candidates-proposed", "checkpoint-saved", "evaluation-failed", "evaluation-recorded", "generation-completed", "offspring-produced",
        "search-cancelled", "search-completed", "search-failed", "search-paused", "search-resumed", "search-snapshot", "search-submitted",
        "supernet-ready", "training-completed", "training-started",
    ];
}
