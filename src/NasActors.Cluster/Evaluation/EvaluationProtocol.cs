using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Evaluation;

/// <summary>A supernet checkpoint by content address (and where this node keeps it).</summary>
public sealed record CheckpointRef(string Sha256, string Path, long Step) : INasMessage;

/// <summary>What an evaluator measured.</summary>
public sealed record EvaluationMetrics(double Accuracy, double Loss, double Flops, double Params, double Milliseconds) : INasMessage;

/// <summary>
/// One evaluation to do: job <see cref="JobId"/> of search <see cref="SearchId"/>, attempt <see cref="Attempt"/>.
/// Everything the evaluator needs travels with it (space, seed, evaluation settings, checkpoint), so any evaluator
/// can take any job and a repeated job gives the same result.
/// </summary>
public sealed record EvaluationJob(string SearchId, int JobId, int Attempt, string Architecture, string Space, long Seed,
    EvaluationSpec Evaluation, CheckpointRef? Checkpoint,
    // The search's dataset (stand-alone training reads it; supernet scoring takes it from the checkpoint).
    string? Dataset = null) : IWithSearchId, INasMessage
{
    public string Key => $"{SearchId}#{JobId}";
}

/// <summary>Work distribution: populations enqueue, evaluators pull.</summary>
public static class EvaluationProtocol
{
    /// <summary>Population -> queue. Jobs already queued or in flight (same key) are not added twice.</summary>
    public sealed record EnqueueJobs(string SearchId, IReadOnlyList<EvaluationJob> Jobs) : IWithSearchId, INasMessage;

    /// <summary>Population -> queue: drop the queued jobs of a search (paused or cancelled).</summary>
    public sealed record WithdrawJobs(string SearchId) : IWithSearchId, INasMessage;

    /// <summary>Evaluator -> queue: I am idle, give me a job (now or when one comes).</summary>
    public sealed record RequestWork(string Evaluator) : INasMessage;

    /// <summary>Evaluator -> queue -> population. Also means the evaluator is idle again.</summary>
    public sealed record JobSucceeded(string SearchId, int JobId, int Attempt, string Architecture, EvaluationMetrics Metrics,
        string? Checkpoint, string Evaluator) : IWithSearchId, INasMessage;

    /// <summary>Evaluator -> queue -> population. Also means the evaluator is idle again.</summary>
    public sealed record JobFailed(string SearchId, int JobId, int Attempt, string Architecture, string Reason, string Evaluator)
        : IWithSearchId, INasMessage;

    /// <summary>Evaluator -> queue when its node leaves gracefully: re-queue these jobs now; no more work for me.</summary>
    public sealed record HandBackJobs(string Evaluator, IReadOnlyList<EvaluationJob> Jobs) : INasMessage;

    /// <summary>Queue -> evaluator: the jobs are back in the queue.</summary>
    public sealed record JobsHandedBack(string Evaluator, int Jobs) : INasMessage;

    public sealed record GetQueueStats : INasMessage
    {
        public static GetQueueStats Instance { get; } = new();
    }

    public sealed record QueueStats(int Queued, int InFlight, int IdleEvaluators, int Evaluators, int Requeued) : INasMessage;
}
