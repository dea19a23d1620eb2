using System.Text.Json;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Training;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Tests.Serialization;

public sealed class NasSerializerSpec() : TestKit(NasSerializer.Hocon)
{
    private static readonly CheckpointRef Ckpt = new("ab12", "/tmp/ab12.nasckpt", 60);
    private static readonly EvaluationMetrics Metrics = new(91.5, 0.31, 1.2e6, 3.4e4, 12.5);
    private static readonly RankedArchitecture Ranked = new(3, 1, "012345", "mb-e3-k3 ...", 91.5, 0.3, 1e6, 2e4, false, null);
    private static readonly RankedArchitecture FailedRanked = new(4, 2, "000000", "x", double.NaN, double.NaN, 1, 2, true, "boom");

    /// <summary>One instance of every message type; the coverage test fails when a type has none.</summary>
    public static IReadOnlyList<INasMessage> Samples()
    {
        var spec = TestSpecs.Synthetic();
        var job = new EvaluationJob("s1", 3, 2, "012345", "fmnist-mbconv", 7, spec.Evaluation, Ckpt);
        var proposed = new CandidatesProposed("s1", 0, [new ProposedJob(0, "012345"), new ProposedJob(1, "543210")]);
        var jobRecord = new JobRecord(0, "012345", 0, 1, Metrics, null, 0);
        var export = new ArchitectureExport([[0.1, 0.2, 0.7], [1.0 / 3, 1.0 / 3, 1.0 / 3]], "20", [new ProbableChoice("20", 0.7 / 3), new ProbableChoice("21", 0.7 / 3)], 0.55);
        var summary = new Persistence.SearchSummary("s1", "n", "running", "evolution", "fmnist-mbconv", 24, 3, 1, 2, "012345", 90, DateTimeOffset.UnixEpoch);
        return
        [
            spec, spec.Training, spec.Evaluation, Ckpt, Metrics, job, Ranked, FailedRanked, jobRecord,
            new ProposedJob(1, "543210"),
            new SearchCommands.SubmitSearch("s1", spec), new SearchCommands.PauseSearch("s1"), new SearchCommands.ResumeSearch("s1"),
            new SearchCommands.CancelSearch("s1", "user"), new SearchCommands.WakeSearch("s1"),
            new SearchQueries.GetSearchStatus("s1"), new SearchQueries.GetTopK("s1", 5), new SearchQueries.GetSearchResults("s1"),
            new SearchQueries.GetSearchLocation("s1"), new SearchReplies.SearchLocation("s1", "akka.tcp://nas@127.0.0.1:4053"),
            new SearchReplies.SearchAccepted("s1"), new SearchReplies.SearchRejected("s1", "bad"),
            new SearchReplies.CommandDone("s1", "pause", true, "paused"), new SearchReplies.NoSuchSearch("s9"),
            new SearchReplies.PersistenceFailed("s1", "disk"),
            new SearchReplies.SearchStatus("s1", "n", "running", "evolution", "fmnist-mbconv", 24, 3, 1, 2, 1, "x", 91.5, 10, 20, "ab12"),
            new SearchReplies.TopK("s1", [Ranked]),
            new SearchReplies.SearchResults("s1", "n", "fmnist-mbconv", "completed", 5, [Ranked, FailedRanked]),
            new SearchSubmitted("s1", spec, DateTimeOffset.UnixEpoch), new SupernetReady("s1", Ckpt, true, export), proposed,
            export, export.MostProbable![0],
            new EvaluationRecorded("s1", 0, "012345", Metrics, "ab12", "evaluator-0"),
            new EvaluationFailed("s1", 1, "543210", 2, "boom", false),
            new GenerationCompleted("s1", 0, 8, "012345", 91.5), new SearchPaused("s1"), new SearchResumed("s1"),
            new SearchCancelled("s1", "user"), new SearchFailed("s1", "no data"), new SearchCompleted("s1", 24, [Ranked]),
            new SearchSnapshot("s1", spec, "running", Ckpt, true, [proposed], [jobRecord], 1, 1, [new OffspringProduced("s1", 1, ["012344"])], export),
            new OffspringProduced("s1", 1, ["012344", "112344"]),
            new SearchProgressed("s1", "evaluated", "running", 3, 24, 0, 0, 91.5, "job 3"),
            new EvaluationProtocol.EnqueueJobs("s1", [job]), new EvaluationProtocol.WithdrawJobs("s1"),
            new EvaluationProtocol.RequestWork("evaluator-0"),
            new EvaluationProtocol.JobSucceeded("s1", 3, 1, "012345", Metrics, "ab12", "evaluator-0"),
            new EvaluationProtocol.JobFailed("s1", 3, 1, "012345", "boom", "evaluator-0"),
            new EvaluationProtocol.HandBackJobs("127.0.0.1:4055/evaluator-0", [job]), new EvaluationProtocol.JobsHandedBack("127.0.0.1:4055/evaluator-0", 1),
            EvaluationProtocol.GetQueueStats.Instance, new EvaluationProtocol.QueueStats(1, 2, 3, 4, 5),
            new TrainingProtocol.StartTraining("s1", spec), new TrainingProtocol.TrainingProgressed("s1", 3, 6, 1.2, 0.5, 100),
            new TrainingProtocol.TrainingFailed("s1", "oom"), new TrainingProtocol.StopTraining("s1"),
            new TrainingEvents.TrainingStarted("s1", "fairnas", 6), new TrainingEvents.CheckpointSaved("s1", Ckpt, 1.1, 0.6, export),
            new TrainingEvents.TrainingCompleted("s1", Ckpt, export),
            new MutationProtocol.ProduceChildren("s1", spec, 2, ["012345"], ["000000"], 2, 1, 0.2, 50, 8),
            new MutationProtocol.ChildrenProduced("s1", 2, ["012344"]),
            summary, CatalogProtocol.ListSearches.Instance, new CatalogProtocol.SearchList([summary]), new CatalogProtocol.GetSummary("s1"),
            new CheckpointTransferProtocol.RequestCheckpoint(new string('a', 64), 2),
            new CheckpointTransferProtocol.CheckpointUnavailable(new string('a', 64), "not here"),
            new CheckpointTransferProtocol.CheckpointOffer(new string('a', 64), "a.nasckpt", 1234, 30, "C", [1, 2, 3]),
            new SearchInspection.GetSupernetState("s1"),
            new SearchInspection.SupernetState("s1", "akka.tcp://nas@127.0.0.1:4053", "training", 3, 6, 1.2, 0.5, "ab12", false),
            EvaluatorInspection.GetEvaluators.Instance,
            new EvaluatorInspection.EvaluatorInfo("evaluator-0", "akka.tcp://nas@127.0.0.1:4053", 4, true, "s1#3 012345 (attempt 1)"),
            new EvaluatorInspection.EvaluatorList([new EvaluatorInspection.EvaluatorInfo("evaluator-1", "akka.tcp://nas@127.0.0.1:4053", 0, false, null)]),
        ];
    }

    public static TheoryData<string> TypeNames()
    {
        var data = new TheoryData<string>();
        foreach (var t in NasSerializer.MessageTypes()) data.Add(NasSerializer.ManifestOf(t));
        return data;
    }

    [Theory]
    [MemberData(nameof(TypeNames))]
    public void Every_message_type_round_trips(string manifest)
    {
        var sample = Samples().FirstOrDefault(s => NasSerializer.ManifestOf(s.GetType()) == manifest);
        Assert.True(sample is not null, $"No sample of {manifest}: add one to NasSerializerSpec.Samples.");
        var serializer = Sys.Serialization.FindSerializerFor(sample);
        Assert.IsType<NasSerializer>(serializer);
        var bytes = serializer.ToBinary(sample);
        var back = ((SerializerWithStringManifest)serializer).FromBinary(bytes, Akka.Serialization.Serialization.ManifestFor(serializer, sample));
        Assert.Equal(sample.GetType(), back.GetType());
        // Records holding lists compare by reference: compare the JSON of both (all properties, NaN included).
        Assert.Equal(JsonSerializer.Serialize(sample, sample.GetType(), NasSerializer.Options),
            JsonSerializer.Serialize(back, back.GetType(), NasSerializer.Options));
    }

    public static TheoryData<string> LegacyManifests()
    {
        var data = new TheoryData<string>();
        foreach (var m in NasManifests.Legacy.Keys.Order(StringComparer.Ordinal)) data.Add(m);
        return data;
    }

    [Theory]
    [MemberData(nameof(LegacyManifests))]
    public void Every_message_type_reads_under_its_legacy_manifest(string legacy)
    {
        var type = NasManifests.Legacy[legacy];
        var sample = Samples().First(s => s.GetType() == type);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(sample);
        var back = serializer.FromBinary(serializer.ToBinary(sample), legacy);
        Assert.Equal(JsonSerializer.Serialize(sample, type, NasSerializer.Options), JsonSerializer.Serialize(back, type, NasSerializer.Options));
    }

    [Fact]
    public void Every_message_type_has_an_explicit_manifest()
    {
        Assert.Equal(NasSerializer.MessageTypes().Select(t => t.FullName).Order(StringComparer.Ordinal),
            NasManifests.Current.Keys.Select(t => t.FullName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Manifests_are_short_names_not_type_names()
    {
        // No namespace, nesting or casing of a type: a name chosen once (kebab case, at most 32 characters).
        Assert.All(NasManifests.Current.Values, m => Assert.Matches("^[a-z][a-z0-9-]{0,31}$", m));
    }

    [Fact]
    public void Messages_are_written_with_their_explicit_manifest()
    {
        var paused = new SearchPaused("s");
        Assert.Equal("search-paused", Akka.Serialization.Serialization.ManifestFor(Sys.Serialization.FindSerializerFor(paused), paused));
        var snapshot = (INasMessage)Samples().First(s => s is SearchSnapshot);
        Assert.Equal("search-snapshot", Akka.Serialization.Serialization.ManifestFor(Sys.Serialization.FindSerializerFor(snapshot), snapshot));
    }

    [Fact]
    public void The_manifests_are_those_of_the_checked_in_list()
    {
        var listed = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Golden", "manifests.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var legacyOf = NasManifests.Legacy.ToDictionary(p => p.Value, p => p.Key);
        var registered = NasManifests.Current.Select(p => $"{p.Value} {legacyOf.GetValueOrDefault(p.Key, "-")}").Order(StringComparer.Ordinal).ToArray();
        // A stored or sent manifest never changes: a difference here is a changed manifest, or a new type not listed yet.
        Assert.Equal(listed, registered);
    }

    private sealed record Unlisted(string Text) : INasMessage;

    [Fact]
    public void Writing_a_type_without_a_manifest_is_an_error_naming_it()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(SearchPaused));
        var e = Assert.ThrowsAny<Exception>(() => serializer.Manifest(new Unlisted("x")));
        Assert.Contains(nameof(Unlisted), e.Message);
    }

    [Fact]
    public void Events_are_bound_to_the_nas_serializer_not_the_default()
    {
        Assert.Equal(NasSerializer.Id, Sys.Serialization.FindSerializerFor(new SearchPaused("s")).Identifier);
    }

    [Fact]
    public void A_training_spec_journaled_before_the_optimizer_keys_reads_with_the_trainers_defaults()
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(NasActors.Cluster.Specs.TrainingSpec));
        var training = TestSpecs.Supernet().Training with { Momentum = 0.5, WeightDecay = 0.01, LabelSmoothing = 0.2 };
        var json = System.Text.Json.Nodes.JsonNode.Parse(s.ToBinary(training))!.AsObject();
        foreach (var key in json.Select(p => p.Key).Where(k => k is "momentum" or "weightDecay" or "labelSmoothing"
                                                            or "Momentum" or "WeightDecay" or "LabelSmoothing").ToList())
            json.Remove(key);
        Assert.True(json.Count > 0 && !json.ToJsonString().Contains("0.01"), json.ToJsonString());
        var old = (NasActors.Cluster.Specs.TrainingSpec)s.FromBinary(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), s.Manifest(training));
        Assert.Equal((0.9, 4e-5, 0.1), (old.Momentum, old.WeightDecay, old.LabelSmoothing));
        Assert.Equal(training.Steps, old.Steps);
    }

    [Fact]
    public void A_training_spec_journaled_before_mean_gradients_reads_as_summed_gradients()
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(NasActors.Cluster.Specs.TrainingSpec));
        var json = System.Text.Json.Nodes.JsonNode.Parse(s.ToBinary(TestSpecs.Supernet().Training with { MeanGradients = true }))!.AsObject();
        Assert.True(json.Remove("MeanGradients"));
        var old = (NasActors.Cluster.Specs.TrainingSpec)s.FromBinary(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "training-spec");
        Assert.False(old.MeanGradients);
    }

    [Fact]
    public void A_training_spec_journaled_before_method_settings_reads_with_the_methods_defaults()
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(NasActors.Cluster.Specs.TrainingSpec));
        var json = System.Text.Json.Nodes.JsonNode.Parse(s.ToBinary(TestSpecs.Derived().Training))!.AsObject();
        Assert.True(json.Remove("MethodSettings"));
        var old = (NasActors.Cluster.Specs.TrainingSpec)s.FromBinary(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "training-spec");
        Assert.Empty(old.MethodSettings!);
        Assert.Equal(TestSpecs.Derived().Training.ToOptions(5), old.ToOptions(5));
    }

    [Fact]
    public void Trainer_and_search_events_journaled_before_distributions_read_without_one()
    {
        var saved = (TrainingEvents.CheckpointSaved)Sys.Serialization.Deserialize(System.Text.Encoding.UTF8.GetBytes(
            """{"SearchId":"s","Checkpoint":{"Sha256":"ab","Path":"/p","Step":2},"Loss":1.5,"Accuracy":0.5}"""), NasSerializer.Id, "checkpoint-saved");
        Assert.Null(saved.Distribution);
        var ready = (SupernetReady)Sys.Serialization.Deserialize(System.Text.Encoding.UTF8.GetBytes(
            """{"SearchId":"s","Checkpoint":{"Sha256":"ab","Path":"/p","Step":2},"Final":true}"""), NasSerializer.Id, "supernet-ready");
        Assert.Null(ready.Distribution);
    }

    [Fact]
    public void An_exported_distribution_round_trips_bitwise()
    {
        var probabilities = new[] { new[] { 0.1, 0.2, 0.7 }, new[] { 1.0 / 3, 1.0 / 3, 1.0 / 3 }, new[] { Math.PI / 4, 1 - Math.PI / 4 } };
        var export = ArchitectureExport.From(new NasActors.Core.Spaces.ArchitectureDistribution(probabilities));
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(export);
        var back = (ArchitectureExport)s.FromBinary(s.ToBinary(export), s.Manifest(export));
        Assert.Equal(probabilities.SelectMany(p => p).Select(BitConverter.DoubleToInt64Bits), back.Probabilities!.SelectMany(p => p).Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal("200", back.Argmax);
        Assert.Equal(back.Argmax, back.MostProbable![0].Architecture);
    }

    [Fact]
    public void A_search_submitted_before_the_training_keys_replays_with_the_values_of_its_day()
    {
        // The event as a journal of that time stored it: the legacy manifest, a training spec without the later keys.
        const string stored = """
            {"SearchId":"old","Spec":{"Name":"supernet","Space":"fmnist-mbconv","Dataset":"fmnist-embedded","Controller":"evolution",
            "ControllerSettings":{"population":"8"},"Budget":8,"Constraints":[],"Seed":5,"Training":{"Method":"fairnas","Steps":6,
            "BatchSize":128,"LearningRate":0.1,"WarmupSteps":0,"CheckpointEvery":2,"EvaluateOn":"final"},"Evaluation":{"Kind":"torch",
            "StubCost":"00:00:00","Table":null,"Signal":null,"FailArchitectures":[],"FailTimes":0,"RecalibrationBatches":8,
            "RecalibrationBatchSize":128,"EvaluationBatchSize":32},"MaxAttempts":3,"TopK":5},"At":"2026-11-27T10:00:00+00:00"}
            """;
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(SearchSubmitted));
        var e = (SearchSubmitted)s.FromBinary(System.Text.Encoding.UTF8.GetBytes(stored), "Population.SearchEvents+SearchSubmitted");
        var t = e.Spec.Training;
        Assert.Equal((false, 0.9, 4e-5, 0.1), (t.MeanGradients, t.Momentum, t.WeightDecay, t.LabelSmoothing));
        Assert.Equal((6L, 2L), (t.Steps, t.CheckpointEvery));
        // Written again, the event carries the values it was read with.
        var again = System.Text.Json.Nodes.JsonNode.Parse(s.ToBinary(e))!["Spec"]!["Training"]!.AsObject();
        Assert.Equal(0.9, (double)again["Momentum"]!);
    }

    [Fact]
    public void A_stored_training_spec_lacking_a_value_no_upcast_knows_is_an_error_naming_the_key()
    {
        var s = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(NasActors.Cluster.Specs.TrainingSpec));
        var json = System.Text.Json.Nodes.JsonNode.Parse(s.ToBinary(TestSpecs.Supernet().Training))!.AsObject();
        Assert.True(json.Remove("CheckpointEvery"));
        var e = Assert.ThrowsAny<Exception>(() => s.FromBinary(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()), "training-spec"));
        Assert.Contains("'CheckpointEvery'", e.Message);
        Assert.Contains("training-spec", e.Message);
    }

    [Fact]
    public void Unknown_manifest_is_an_error_naming_it()
    {
        var s = (NasSerializer)Sys.Serialization.FindSerializerForType(typeof(SearchPaused));
        var e = Assert.ThrowsAny<Exception>(() => s.FromBinary("{}"u8.ToArray(), "Population.NoSuchType"));
        Assert.Contains("Population.NoSuchType", e.Message);
    }
}
