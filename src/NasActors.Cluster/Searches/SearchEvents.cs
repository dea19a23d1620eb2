using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Searches;

/// <summary>Marker of the search actor's journaled events (facts, past tense).</summary>
public interface ISearchEvent : IWithSearchId, INasMessage;

/// <summary>The events of a search, in the journal of persistence id <c>search-{id}</c>.</summary>
public static class SearchEvents
{
    public sealed record SearchSubmitted(string SearchId, SearchSpec Spec, DateTimeOffset At) : ISearchEvent;

    /// <summary>A supernet checkpoint the search evaluates with from now on (final, or intermediate by setting). A final
    /// one carries the distribution its method learned (null for methods without one): the derived controller's input.</summary>
    public sealed record SupernetReady(string SearchId, CheckpointRef Checkpoint, bool Final, Training.ArchitectureExport? Distribution = null) : ISearchEvent;

    /// <summary>A batch (generation) of candidates, each one an evaluation job numbered by its proposal sequence.</summary>
    public sealed record CandidatesProposed(string SearchId, int Generation, IReadOnlyList<ProposedJob> Jobs) : ISearchEvent;

    /// <summary>The result of a job; recorded once per job whatever number of times it was evaluated.</summary>
    public sealed record EvaluationRecorded(string SearchId, int JobId, string Architecture, EvaluationMetrics Metrics,
        string? Checkpoint, string Evaluator) : ISearchEvent;

    /// <summary>An attempt failed; <see cref="Final"/> when no attempt is left and the job is recorded as failed.</summary>
    public sealed record EvaluationFailed(string SearchId, int JobId, string Architecture, int Attempt, string Reason, bool Final) : ISearchEvent;

    /// <summary>The children of an evolutionary generation, produced by the mutator pool (the generation's proposal follows).</summary>
    public sealed record OffspringProduced(string SearchId, int Generation, IReadOnlyList<string> Children) : ISearchEvent;

    public sealed record GenerationCompleted(string SearchId, int Generation, int Evaluations, string? BestArchitecture, double? BestAccuracy) : ISearchEvent;

    public sealed record SearchPaused(string SearchId) : ISearchEvent;

    public sealed record SearchResumed(string SearchId) : ISearchEvent;

    public sealed record SearchCancelled(string SearchId, string Reason) : ISearchEvent;

    /// <summary>The supernet could not be trained; the search stops.</summary>
    public sealed record SearchFailed(string SearchId, string Reason) : ISearchEvent;

    public sealed record SearchCompleted(string SearchId, int Evaluations, IReadOnlyList<RankedArchitecture> Top) : ISearchEvent;
}

/// <summary>One proposed candidate: job id = the controller's proposal sequence.</summary>
public sealed record ProposedJob(int JobId, string Architecture) : INasMessage;
