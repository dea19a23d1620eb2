namespace NasActors.Torch.Training;

/// <summary>How a supernet is trained. Defaults suit the CPU-sized Fashion-MNIST spaces.</summary>
public sealed record SupernetTrainingOptions
{
    /// <summary><c>spos</c> or <c>fairnas</c>.</summary>
    public string Method { get; init; } = "fairnas";
    /// <summary>Optimizer steps (a FairNAS step trains m paths on m batches).</summary>
    public long Steps { get; init; } = 300;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    public const double DefaultMomentum = 0.9, DefaultWeightDecay = 4e-5, DefaultLabelSmoothing = 0.1;
    public double Momentum { get; init; } = DefaultMomentum;
    public double WeightDecay { get; init; } = DefaultWeightDecay;
    public double LabelSmoothing { get; init; } = DefaultLabelSmoothing;
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;
    public long WarmupSteps { get; init; }
    public long Seed { get; init; } = 1;
    /// <summary>
    /// Divide each parameter's accumulated gradient by the number of paths of the step that used it, so the stem, head
    /// and classifier (used by all m FairNAS paths) move by the mean of their m gradients instead of the sum, like the
    /// choice blocks (used once). FairNAS's own recipe sums; off by default.
    /// </summary>
    public bool MeanGradientOverPaths { get; init; }
    /// <summary>SPOS only: number of FLOPs bands to sample paths into (0 = unconstrained).</summary>
    public int FlopsBands { get; init; }

    public void Validate()
    {
        if (Steps < 1) throw new ArgumentException($"training.steps must be at least 1, got {Steps}.");
        if (BatchSize < 1) throw new ArgumentException($"training.batch-size must be at least 1, got {BatchSize}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"training.learning-rate must be positive, got {LearningRate}.");
        if (!(Momentum is >= 0 and < 1)) throw new ArgumentException($"training.momentum must be in [0, 1), got {Momentum}.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) throw new ArgumentException($"training.weight-decay must be >= 0, got {WeightDecay}.");
        if (!(LabelSmoothing is >= 0 and < 1)) throw new ArgumentException($"training.label-smoothing must be in [0, 1), got {LabelSmoothing}.");
        if (WarmupSteps < 0 || WarmupSteps >= Steps) throw new ArgumentException($"training.warmup-steps must be in [0, steps), got {WarmupSteps}.");
        if (FlopsBands < 0) throw new ArgumentException($"training.flops-bands must be >= 0, got {FlopsBands}.");
    }
}

/// <summary>What one optimizer step did.</summary>
public sealed record StepMetrics(long Step, double Loss, double Accuracy, int Images, double LearningRate);
