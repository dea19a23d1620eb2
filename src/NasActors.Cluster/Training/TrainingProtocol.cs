using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;
using NasActors.Core.Spaces;

namespace NasActors.Cluster.Training;

/// <summary>Population -> trainer, and what the trainer tells its population.</summary>
public static class TrainingProtocol
{
    /// <summary>Train (or go on training) the supernet of a search; repeated, it answers with where training is.</summary>
    public sealed record StartTraining(string SearchId, SearchSpec Spec) : IWithSearchId, INasMessage;

    /// <summary>Population -> trainer: the search is over (or cancelled); stop training.</summary>
    public sealed record StopTraining(string SearchId) : IWithSearchId, INasMessage;

    /// <summary>Progress after a step (not persisted).</summary>
    public sealed record TrainingProgressed(string SearchId, long Step, long Steps, double Loss, double Accuracy, double ImagesPerSecond)
        : IWithSearchId, INasMessage;

    public sealed record TrainingFailed(string SearchId, string Reason) : IWithSearchId, INasMessage;
}

/// <summary>Marker of the trainer's journaled events (persistence id <c>trainer-{search id}</c>).</summary>
public interface ITrainingEvent : IWithSearchId, INasMessage;

public static class TrainingEvents
{
    public sealed record TrainingStarted(string SearchId, string Method, long Steps) : ITrainingEvent;

    /// <summary>A checkpoint was written and verified; also sent to the population. <see cref="Distribution"/>: what a
    /// method with architecture parameters had learned at that checkpoint (null for the others, and in older journals).</summary>
    public sealed record CheckpointSaved(string SearchId, CheckpointRef Checkpoint, double Loss, double Accuracy,
        ArchitectureExport? Distribution = null) : ITrainingEvent;

    /// <summary>Training is over; also sent to the population (again, on every StartTraining after it), with the final
    /// checkpoint's distribution for methods that learn one.</summary>
    public sealed record TrainingCompleted(string SearchId, CheckpointRef Checkpoint, ArchitectureExport? Distribution = null) : ITrainingEvent;
}

/// <summary>An architecture and its probability under an exported distribution (choice string).</summary>
public sealed record ProbableChoice(string Architecture, double Probability) : INasMessage;

/// <summary>
/// What a training method with architecture parameters exports at a checkpoint (DARTS, ProxylessNAS, FBNet, ...):
/// per decision the probability of each choice, the argmax architecture, the <see cref="Top"/> most probable
/// architectures (choice strings, best first) and the mean normalised entropy (1 uniform, 0 decided). Journaled with
/// the checkpoint; the probabilities are the distribution (JSON keeps every double exactly), the rest is for readers.
/// </summary>
public sealed record ArchitectureExport(IReadOnlyList<double[]> Probabilities, string Argmax, IReadOnlyList<ProbableChoice> MostProbable,
    double Entropy) : INasMessage
{
    /// <summary>How many of the most probable architectures an export lists.</summary>
    public const int Top = 5;

    public static ArchitectureExport From(ArchitectureDistribution d) => new(d.Probabilities.Select(p => (double[])p.Clone()).ToArray(),
        d.Argmax().ToString(), d.MostProbable(Top).Select(p => new ProbableChoice(p.Architecture.ToString(), p.Probability)).ToArray(),
        d.NormalizedEntropy());

    /// <summary>The distribution itself; throws <see cref="ArgumentException"/> when a stored vector is not one.</summary>
    public ArchitectureDistribution ToDistribution() => new(Probabilities);
}
