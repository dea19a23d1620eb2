using System.Diagnostics;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>Progress of a supernet training after a step.</summary>
public sealed record TrainingProgress(StepMetrics Step, long StepsDone, long TotalSteps, double ImagesPerSecond, TimeSpan Elapsed);

/// <summary>The result of a supernet training run: its last checkpoint and the mean metrics of its last steps.</summary>
public sealed record TrainingOutcome(CheckpointInfo Checkpoint, long Steps, double RecentLoss, double RecentAccuracy,
    double ImagesPerSecond, TimeSpan Elapsed)
{
    /// <summary>What a differentiable method learned (null for SPOS and FairNAS).</summary>
    public NasActors.Core.Spaces.ArchitectureDistribution? Distribution { get; init; }

    /// <summary>Architectures the method derived for the <c>derived</c> controller (ENAS samples, Single-Path NAS's thresholds); empty for the others.</summary>
    public IReadOnlyList<NasActors.Core.Spaces.Architecture> Derived { get; init; } = [];

    /// <summary>Images per second over the steps after the first (which pays for lazy initialisation: cuDNN and cuBLAS
    /// handles, kernel selection on a GPU); NaN with fewer than two steps.</summary>
    public double ImagesPerSecondAfterFirstStep { get; init; } = double.NaN;
}

/// <summary>
/// A whole supernet training: resume from a checkpoint if given, step until done, checkpoint every N steps and at
/// the end. The one loop behind <c>nas train</c>, the quickstart and the supernet-trainer actor.
/// </summary>
public static class SupernetTraining
{
    /// <param name="checkpointed">Each checkpoint written, with its step's metrics and the method then (what it exports:
    /// <see cref="NasActors.Torch.Methods.ITrainingMethod.Distribution"/>, <see cref="NasActors.Torch.Methods.ITrainingMethod.Derived"/>).</param>
    public static TrainingOutcome Run(BlockSpace space, SearchData data, SupernetTrainingOptions options, Device device,
        string checkpointFolder, long checkpointEvery = 0, string? resumeFrom = null,
        Action<TrainingProgress>? progress = null, Action<CheckpointInfo, StepMetrics, NasActors.Torch.Methods.ITrainingMethod>? checkpointed = null,
        CancellationToken cancel = default, int pathWorkers = 1, NasActors.Core.Costs.AdditiveCostModel? latency = null)
    {
        data.EnsureFits(space);
        var (weights, architecture) = data.TrainingLoaders(options);
        using var trainer = new SupernetTrainer(space, weights, options, device, pathWorkers, architecture, latency);
        if (resumeFrom is not null)
        {
            using var loaded = Checkpoint.Load(resumeFrom);
            trainer.Restore(loaded);
            // Equal is a finished training resumed (a trainer actor that stopped after its last checkpoint): it is
            // saved again unchanged. Past the end there is nothing consistent to do.
            if (trainer.Step > options.Steps)
                throw new ArgumentException($"--resume: the checkpoint is at step {trainer.Step}, past the {options.Steps} steps asked for.");
        }
        var metadata = data.Metadata();
        var clock = Stopwatch.StartNew();
        long images = 0;
        var recent = new Queue<StepMetrics>();
        CheckpointInfo? last = null;
        StepMetrics? lastStep = null;
        var startStep = trainer.Step;
        (long Images, TimeSpan At)? afterFirst = null;
        while (!trainer.IsComplete)
        {
            cancel.ThrowIfCancellationRequested();
            var m = trainer.TrainStep();
            // A diverged training would only go on to write checkpoints of NaN weights: stop and say so.
            if (!double.IsFinite(m.Loss))
                throw new TrainingDivergedException($"{options.Method} diverged: loss {m.Loss} at step {trainer.Step} of {options.Steps}");
            lastStep = m;
            images += m.Images;
            afterFirst ??= (images, clock.Elapsed);
            recent.Enqueue(m);
            if (recent.Count > 20) recent.Dequeue();
            progress?.Invoke(new TrainingProgress(m, trainer.Step, options.Steps, images / clock.Elapsed.TotalSeconds, clock.Elapsed));
            if (checkpointEvery > 0 && trainer.Step % checkpointEvery == 0 && !trainer.IsComplete)
            {
                last = trainer.SaveCheckpoint(checkpointFolder, metadata);
                checkpointed?.Invoke(last, m, trainer.Method);
            }
        }
        if (last is null || last.Step != trainer.Step)
        {
            last = trainer.SaveCheckpoint(checkpointFolder, metadata);
            if (lastStep is not null) checkpointed?.Invoke(last, lastStep, trainer.Method);
        }
        var trained = trainer.Step - startStep;
        return new TrainingOutcome(last, trainer.Step,
            recent.Count == 0 ? double.NaN : recent.Average(r => r.Loss),
            recent.Count == 0 ? double.NaN : recent.Average(r => r.Accuracy),
            trained == 0 ? 0 : images / clock.Elapsed.TotalSeconds, clock.Elapsed)
        {
            Distribution = trainer.Method.Distribution, Derived = trainer.Method.Derived(),
            ImagesPerSecondAfterFirstStep = trained >= 2 && afterFirst is { } f ? (images - f.Images) / (clock.Elapsed - f.At).TotalSeconds : double.NaN,
        };
    }
}

/// <summary>A supernet training whose loss became NaN or infinite.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
