using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Training;

/// <summary>What one training run is asked to do.</summary>
public sealed record TrainingRequest(string SearchId, SearchSpec Spec, string CheckpointFolder, CheckpointRef? ResumeFrom);

/// <summary>
/// Trains a supernet (blocking; the trainer actor runs it on its own thread): resumes from a checkpoint when given,
/// reports each checkpoint and the progress, returns the final checkpoint. Cancellation stops it between steps.
/// </summary>
public interface ISupernetTrainingBackend
{
    CheckpointRef Train(TrainingRequest request, Action<CheckpointRef, double, double> checkpointed,
        Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel);
}
