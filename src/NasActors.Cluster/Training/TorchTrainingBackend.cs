using NasActors.Cluster.Evaluation;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Runtime;
using NasActors.Torch.Training;

namespace NasActors.Cluster.Training;

/// <summary>
/// Trains with the torch layer's <see cref="SupernetTraining.Run"/>, with any registered method and its settings
/// (<see cref="Specs.TrainingSpec.ToOptions"/>) and latency table; each checkpoint is reported with the method's export
/// (its distribution and/or derived architectures).
/// </summary>
public sealed class TorchTrainingBackend(string? dataFolder = null) : ISupernetTrainingBackend
{
    public TrainedCheckpoint Train(TrainingRequest request, Action<TrainedCheckpoint> checkpointed,
        Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel)
    {
        var spec = request.Spec;
        var t = spec.Training;
        var runtime = TorchRuntime.Current ?? TorchRuntime.Initialize();
        var space = BlockSpaces.Get(spec.Space);
        var data = SearchData.Load(spec.Dataset, dataFolder, SearchData.DefaultValidationFraction, spec.Seed);
        var options = t.ToOptions(spec.Seed);
        // A latency-aware method's table (checked at submit; read again here, on the trainer's node).
        var latency = options.Architecture.LatencyTable is { } table ? NasActors.Torch.Methods.LatencyLoss.ReadTable(table, space) : null;
        var lastReport = DateTime.MinValue;
        var outcome = SupernetTraining.Run(space, data, options, runtime.Device, request.CheckpointFolder, t.CheckpointEvery,
            request.ResumeFrom?.Path,
            p =>
            {
                // At most a few progress messages a second, and always the last step.
                if (DateTime.UtcNow - lastReport < TimeSpan.FromMilliseconds(500) && p.StepsDone != p.TotalSteps) return;
                lastReport = DateTime.UtcNow;
                progress(new TrainingProtocol.TrainingProgressed(request.SearchId, p.StepsDone, p.TotalSteps, p.Step.Loss, p.Step.Accuracy, p.ImagesPerSecond));
            },
            (info, m, method) => checkpointed(new TrainedCheckpoint(new CheckpointRef(info.Sha256, info.Path, info.Step), m.Loss, m.Accuracy,
                ArchitectureExport.From(method.Distribution, method.Derived()))),
            cancel, runtime.PathWorkers, latency);
        return new TrainedCheckpoint(new CheckpointRef(outcome.Checkpoint.Sha256, outcome.Checkpoint.Path, outcome.Checkpoint.Step),
            outcome.RecentLoss, outcome.RecentAccuracy, ArchitectureExport.From(outcome.Distribution, outcome.Derived));
    }
}
