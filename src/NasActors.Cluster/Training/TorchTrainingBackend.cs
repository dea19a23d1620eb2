using NasActors.Cluster.Evaluation;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Runtime;
using NasActors.Torch.Training;

namespace NasActors.Cluster.Training;

/// <summary>Trains with the torch layer's <see cref="SupernetTraining.Run"/> (SPOS or FairNAS as the spec says).</summary>
public sealed class TorchTrainingBackend(string? dataFolder = null) : ISupernetTrainingBackend
{
    public CheckpointRef Train(TrainingRequest request, Action<CheckpointRef, double, double> checkpointed,
        Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel)
    {
        var spec = request.Spec;
        var t = spec.Training;
        var runtime = TorchRuntime.Current ?? TorchRuntime.Initialize();
        var space = BlockSpaces.Get(spec.Space);
        var data = SearchData.Load(spec.Dataset, dataFolder, SearchData.DefaultValidationFraction, spec.Seed);
        var options = new SupernetTrainingOptions
        {
            Method = t.Method, Steps = t.Steps, BatchSize = t.BatchSize, LearningRate = t.LearningRate,
            WarmupSteps = t.WarmupSteps, Seed = spec.Seed, MeanGradientOverPaths = t.MeanGradients,
            Momentum = t.Momentum, WeightDecay = t.WeightDecay, LabelSmoothing = t.LabelSmoothing,
        };
        options.Validate();
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
            (info, m) => checkpointed(new CheckpointRef(info.Sha256, info.Path, info.Step), m.Loss, m.Accuracy),
            cancel, runtime.PathWorkers);
        return new CheckpointRef(outcome.Checkpoint.Sha256, outcome.Checkpoint.Path, outcome.Checkpoint.Step);
    }
}
