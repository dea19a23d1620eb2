using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Training;

/// <summary>What one training run is asked to do.</summary>
public sealed record TrainingRequest(string SearchId, SearchSpec Spec, string CheckpointFolder, CheckpointRef? ResumeFrom);

/// <summary>A checkpoint a training wrote: the mean loss and accuracy of its last steps, and the method's distribution
/// then (null for methods without architecture parameters).</summary>
public sealed record TrainedCheckpoint(CheckpointRef Checkpoint, double Loss, double Accuracy, ArchitectureExport? Distribution);

/// <summary>
/// Trains a supernet (blocking; the trainer actor runs it on its own thread): resumes from a checkpoint when given,
/// reports each checkpoint and the progress, returns the final checkpoint. Cancellation stops it between steps.
/// </summary>
public interface ISupernetTrainingBackend
{
    TrainedCheckpoint Train(TrainingRequest request, Action<TrainedCheckpoint> checkpointed,
        Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel);
}
