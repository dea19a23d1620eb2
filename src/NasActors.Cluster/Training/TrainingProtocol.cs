using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;

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

    /// <summary>A checkpoint was written and verified; also sent to the population.</summary>
    public sealed record CheckpointSaved(string SearchId, CheckpointRef Checkpoint, double Loss, double Accuracy) : ITrainingEvent;

    /// <summary>Training is over; also sent to the population (again, on every StartTraining after it).</summary>
    public sealed record TrainingCompleted(string SearchId, CheckpointRef Checkpoint) : ITrainingEvent;
}
