using System.Collections.Frozen;
using System.Runtime.Serialization;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;
using NasActors.Cluster.Training;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Serialization;

/// <summary>
/// The manifest of every <see cref="INasMessage"/>: the name a journal row, a snapshot and a remote envelope store
/// beside the JSON. Written explicitly here, so renaming or moving a type (or its folder) changes no stored name.
/// Rules: a manifest is never changed nor reused; a renamed or moved type keeps its line; a new type gets a new line
/// (writing a type without one fails). <c>Legacy</c> is the manifest written before this table (the type's full name
/// below <c>NasActors.Cluster.</c>, as of commit a493d14), frozen as text and accepted on read only, so journals,
/// snapshots and nodes of earlier versions stay readable. The golden journals in tests/NasActors.Cluster.Tests/Golden
/// hold both kinds.
/// </summary>
public static class NasManifests
{
    /// <summary>One type; <c>Legacy</c> is null for types added after the legacy manifests were frozen.</summary>
    private sealed record Entry(string Manifest, Type Type, string? Legacy = null);

    private static readonly Entry[] Entries =
    [
        // Persisted: the population's events (search-{id}) and its snapshot.
        new("search-submitted", typeof(SearchSubmitted), "Population.SearchEvents+SearchSubmitted"),
        new("supernet-ready", typeof(SupernetReady), "Population.SearchEvents+SupernetReady"),
        new("candidates-proposed", typeof(CandidatesProposed), "Population.SearchEvents+CandidatesProposed"),
        new("evaluation-recorded", typeof(EvaluationRecorded), "Population.SearchEvents+EvaluationRecorded"),
        new("evaluation-failed", typeof(EvaluationFailed), "Population.SearchEvents+EvaluationFailed"),
        new("offspring-produced", typeof(OffspringProduced), "Population.SearchEvents+OffspringProduced"),
        new("generation-completed", typeof(GenerationCompleted), "Population.SearchEvents+GenerationCompleted"),
        new("search-paused", typeof(SearchPaused), "Population.SearchEvents+SearchPaused"),
        new("search-resumed", typeof(SearchResumed), "Population.SearchEvents+SearchResumed"),
        new("search-cancelled", typeof(SearchCancelled), "Population.SearchEvents+SearchCancelled"),
        new("search-failed", typeof(SearchFailed), "Population.SearchEvents+SearchFailed"),
        new("search-completed", typeof(SearchCompleted), "Population.SearchEvents+SearchCompleted"),
        new("search-snapshot", typeof(SearchSnapshot), "Population.SearchSnapshot"),
        // Persisted: the trainer's events (trainer-{id}).
        new("training-started", typeof(TrainingEvents.TrainingStarted), "Training.TrainingEvents+TrainingStarted"),
        new("checkpoint-saved", typeof(TrainingEvents.CheckpointSaved), "Training.TrainingEvents+CheckpointSaved"),
        new("training-completed", typeof(TrainingEvents.TrainingCompleted), "Training.TrainingEvents+TrainingCompleted"),
        // Parts of persisted messages, also sent on their own.
        new("search-spec", typeof(SearchSpec), "Specs.SearchSpec"),
        new("training-spec", typeof(TrainingSpec), "Specs.TrainingSpec"),
        new("evaluation-spec", typeof(EvaluationSpec), "Specs.EvaluationSpec"),
        new("checkpoint-ref", typeof(CheckpointRef), "Evaluation.CheckpointRef"),
        new("evaluation-metrics", typeof(EvaluationMetrics), "Evaluation.EvaluationMetrics"),
        new("proposed-job", typeof(ProposedJob), "Population.ProposedJob"),
        new("job-record", typeof(JobRecord), "Population.JobRecord"),
        new("ranked-architecture", typeof(RankedArchitecture), "Population.RankedArchitecture"),
        // Remote: commands, queries and replies of a search.
        new("submit-search", typeof(SearchCommands.SubmitSearch), "Population.SearchCommands+SubmitSearch"),
        new("pause-search", typeof(SearchCommands.PauseSearch), "Population.SearchCommands+PauseSearch"),
        new("resume-search", typeof(SearchCommands.ResumeSearch), "Population.SearchCommands+ResumeSearch"),
        new("cancel-search", typeof(SearchCommands.CancelSearch), "Population.SearchCommands+CancelSearch"),
        new("wake-search", typeof(SearchCommands.WakeSearch), "Population.SearchCommands+WakeSearch"),
        new("get-search-status", typeof(SearchQueries.GetSearchStatus), "Population.SearchQueries+GetSearchStatus"),
        new("get-top-k", typeof(SearchQueries.GetTopK), "Population.SearchQueries+GetTopK"),
        new("get-search-results", typeof(SearchQueries.GetSearchResults), "Population.SearchQueries+GetSearchResults"),
        new("get-search-location", typeof(SearchQueries.GetSearchLocation), "Population.SearchQueries+GetSearchLocation"),
        new("search-accepted", typeof(SearchReplies.SearchAccepted), "Population.SearchReplies+SearchAccepted"),
        new("search-rejected", typeof(SearchReplies.SearchRejected), "Population.SearchReplies+SearchRejected"),
        new("command-done", typeof(SearchReplies.CommandDone), "Population.SearchReplies+CommandDone"),
        new("no-such-search", typeof(SearchReplies.NoSuchSearch), "Population.SearchReplies+NoSuchSearch"),
        new("persistence-failed", typeof(SearchReplies.PersistenceFailed), "Population.SearchReplies+PersistenceFailed"),
        new("search-status", typeof(SearchReplies.SearchStatus), "Population.SearchReplies+SearchStatus"),
        new("search-location", typeof(SearchReplies.SearchLocation), "Population.SearchReplies+SearchLocation"),
        new("top-k", typeof(SearchReplies.TopK), "Population.SearchReplies+TopK"),
        new("search-results", typeof(SearchReplies.SearchResults), "Population.SearchReplies+SearchResults"),
        new("search-progressed", typeof(SearchProgressed), "Population.SearchProgressed"),
        new("get-training-progress", typeof(SearchInspection.GetSupernetState), "Population.SearchInspection+GetTrainingProgress"),
        new("training-progress", typeof(SearchInspection.SupernetState), "Population.SearchInspection+TrainingProgress"),
        // Remote: the search catalogue.
        new("search-summary", typeof(SearchSummary), "Persistence.SearchSummary"),
        new("list-searches", typeof(CatalogProtocol.ListSearches), "Persistence.CatalogProtocol+ListSearches"),
        new("search-list", typeof(CatalogProtocol.SearchList), "Persistence.CatalogProtocol+SearchList"),
        new("get-summary", typeof(CatalogProtocol.GetSummary), "Persistence.CatalogProtocol+GetSummary"),
        // Remote: work distribution and evaluators.
        new("evaluation-job", typeof(EvaluationJob), "Evaluation.EvaluationJob"),
        new("enqueue-jobs", typeof(EvaluationProtocol.EnqueueJobs), "Evaluation.EvaluationProtocol+EnqueueJobs"),
        new("withdraw-jobs", typeof(EvaluationProtocol.WithdrawJobs), "Evaluation.EvaluationProtocol+WithdrawJobs"),
        new("request-work", typeof(EvaluationProtocol.RequestWork), "Evaluation.EvaluationProtocol+RequestWork"),
        new("job-succeeded", typeof(EvaluationProtocol.JobSucceeded), "Evaluation.EvaluationProtocol+JobSucceeded"),
        new("job-failed", typeof(EvaluationProtocol.JobFailed), "Evaluation.EvaluationProtocol+JobFailed"),
        new("hand-back-jobs", typeof(EvaluationProtocol.HandBackJobs), "Evaluation.EvaluationProtocol+HandBackJobs"),
        new("jobs-handed-back", typeof(EvaluationProtocol.JobsHandedBack), "Evaluation.EvaluationProtocol+JobsHandedBack"),
        new("get-queue-stats", typeof(EvaluationProtocol.GetQueueStats), "Evaluation.EvaluationProtocol+GetQueueStats"),
        new("queue-stats", typeof(EvaluationProtocol.QueueStats), "Evaluation.EvaluationProtocol+QueueStats"),
        new("get-evaluators", typeof(EvaluatorInspection.GetEvaluators), "Evaluation.EvaluatorInspection+GetEvaluators"),
        new("evaluator-info", typeof(EvaluatorInspection.EvaluatorInfo), "Evaluation.EvaluatorInspection+EvaluatorInfo"),
        new("evaluator-list", typeof(EvaluatorInspection.EvaluatorList), "Evaluation.EvaluatorInspection+EvaluatorList"),
        // Remote: mutators.
        new("produce-children", typeof(MutationProtocol.ProduceChildren), "Mutation.MutationProtocol+ProduceChildren"),
        new("children-produced", typeof(MutationProtocol.ChildrenProduced), "Mutation.MutationProtocol+ChildrenProduced"),
        // Remote: trainers.
        new("start-training", typeof(TrainingProtocol.StartTraining), "Training.TrainingProtocol+StartTraining"),
        new("stop-training", typeof(TrainingProtocol.StopTraining), "Training.TrainingProtocol+StopTraining"),
        new("training-progressed", typeof(TrainingProtocol.TrainingProgressed), "Training.TrainingProtocol+TrainingProgressed"),
        new("training-failed", typeof(TrainingProtocol.TrainingFailed), "Training.TrainingProtocol+TrainingFailed"),
        // Remote: checkpoint transfer.
        new("request-checkpoint", typeof(CheckpointTransferProtocol.RequestCheckpoint), "Checkpoints.CheckpointTransferProtocol+RequestCheckpoint"),
        new("checkpoint-unavailable", typeof(CheckpointTransferProtocol.CheckpointUnavailable), "Checkpoints.CheckpointTransferProtocol+CheckpointUnavailable"),
        new("checkpoint-offer", typeof(CheckpointTransferProtocol.CheckpointOffer), "Checkpoints.CheckpointTransferProtocol+CheckpointOffer"),
        // Parts of persisted messages (CheckpointSaved, TrainingCompleted, SupernetReady, SearchSnapshot): a method's export.
        new("architecture-export", typeof(ArchitectureExport)),
        new("probable-choice", typeof(ProbableChoice)),
    ];

    private static readonly FrozenDictionary<Type, string> ManifestsByType = ByType();

    private static readonly FrozenDictionary<string, Type> TypesByManifest = Index();

    /// <summary>The manifests written today, by type.</summary>
    public static IReadOnlyDictionary<Type, string> Current => ManifestsByType;

    /// <summary>The manifests written before this table, read only.</summary>
    public static IReadOnlyDictionary<string, Type> Legacy { get; } =
        Entries.Where(e => e.Legacy is not null).ToDictionary(e => e.Legacy!, e => e.Type, StringComparer.Ordinal);

    /// <summary>The manifest this version writes for <paramref name="type"/>.</summary>
    public static string Of(Type type) => ManifestsByType.TryGetValue(type, out var m)
        ? m
        : throw new SerializationException(
            $"NasSerializer: {type.FullName} has no manifest: give it one (a new, never used name) in NasManifests.");

    /// <summary>The type stored under <paramref name="manifest"/> (today's or a legacy one).</summary>
    public static Type Resolve(string manifest) => TypesByManifest.TryGetValue(manifest, out var t)
        ? t
        : throw new SerializationException(
            $"NasSerializer: unknown manifest '{manifest}': no message type is registered under it in NasManifests " +
            "(written by a newer version, or a manifest was changed).");

    private static FrozenDictionary<string, Type> Index()
    {
        var index = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var e in Entries)
        {
            if (!typeof(INasMessage).IsAssignableFrom(e.Type))
                throw new InvalidOperationException($"NasManifests: {e.Type.FullName} is not an INasMessage.");
            foreach (var name in new[] { e.Manifest, e.Legacy }.OfType<string>())
                if (index.TryGetValue(name, out var other) && other != e.Type)
                    throw new InvalidOperationException($"NasManifests: manifest '{name}' names both {other.FullName} and {e.Type.FullName}.");
                else index[name] = e.Type;
        }
        return index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static FrozenDictionary<Type, string> ByType()
    {
        var byType = new Dictionary<Type, string>();
        foreach (var e in Entries)
            if (!byType.TryAdd(e.Type, e.Manifest))
                throw new InvalidOperationException($"NasManifests: {e.Type.FullName} is listed twice.");
        return byType.ToFrozenDictionary();
    }
}
