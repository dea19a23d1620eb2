namespace NasActors.Torch.Training;

/// <summary>How a supernet is trained. Defaults suit the CPU-sized Fashion-MNIST spaces.</summary>
public sealed record SupernetTrainingOptions
{
    /// <summary>A name of <see cref="NasActors.Torch.Methods.TrainingMethods"/>: <c>spos</c>, <c>fairnas</c>, <c>darts</c>, ...</summary>
    public string Method { get; init; } = "fairnas";
    /// <summary>Optimizer steps (a FairNAS step trains m paths on m batches).</summary>
    public long Steps { get; init; } = 300;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Where the decay ends (DARTS: 0.001); 0 decays to zero.</summary>
    public double MinLearningRate { get; init; }
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
    /// <summary>Largest L2 norm of the weight gradient of a differentiable method's weight step (DARTS: 5); 0: no clipping.</summary>
    public double GradientClip { get; init; }
    /// <summary>The architecture side of the differentiable methods (DARTS, FBNet, ProxylessNAS).</summary>
    public ArchitectureOptions Architecture { get; init; } = new();
    /// <summary>One-Shot's path dropout and ghost BatchNorm.</summary>
    public NasActors.Torch.Methods.OneShot.OneShotOptions OneShot { get; init; } = new();
    /// <summary>SMASH's hypernetwork.</summary>
    public NasActors.Torch.Methods.Smash.SmashOptions Smash { get; init; } = new();
    /// <summary>Single-Path NAS's first-phase indicator dropout.</summary>
    public NasActors.Torch.Methods.SinglePathNas.SinglePathNasOptions SinglePath { get; init; } = new();
    /// <summary>ENAS's controller and phases.</summary>
    public NasActors.Torch.Methods.Enas.EnasOptions Enas { get; init; } = new();

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
        if (!(MinLearningRate >= 0 && MinLearningRate <= LearningRate))
            throw new ArgumentException($"training.min-learning-rate must be in [0, learning-rate], got {MinLearningRate}.");
        if (!(GradientClip >= 0)) throw new ArgumentException($"training.gradient-clip must be >= 0, got {GradientClip}.");
        Architecture.Validate();
        if (Architecture.WarmupSteps > 0 && Architecture.WarmupSteps >= Steps)
            throw new ArgumentException($"training.{Method}.arch-warmup-steps must be below training.steps ({Steps}), got {Architecture.WarmupSteps}: "
                + "the architecture parameters would never be trained.");
        OneShot.Validate();
        Smash.Validate();
        SinglePath.Validate();
        Enas.Validate();
    }
}

/// <summary>
/// The architecture parameters' settings. Null values take the method's published defaults (see each method);
/// the methods without architecture parameters ignore them.
/// </summary>
public sealed record ArchitectureOptions
{
    /// <summary>Adam's learning rate for the architecture parameters.</summary>
    public double? LearningRate { get; init; }
    public double? Beta1 { get; init; }
    public double? Beta2 { get; init; }
    public double? WeightDecay { get; init; }
    /// <summary>Part of the training split that trains the architecture parameters (DARTS: 0.5).</summary>
    public double? Split { get; init; }
    /// <summary>Steps that train weights only before the architecture steps begin.</summary>
    public long WarmupSteps { get; init; }
    /// <summary>DARTS: the unrolled (second-order) hypergradient instead of the first-order one.</summary>
    public bool SecondOrder { get; init; }
    /// <summary>FBNet: the Gumbel-softmax temperature at epoch 0 (5) and its decay rate per epoch (0.045).</summary>
    public double? Temperature { get; init; }
    public double? TemperatureDecay { get; init; }
    /// <summary>ProxylessNAS: <c>additive</c> (CE + lambda (LAT - ref) / ref) or <c>multiplicative</c> (CE alpha (log LAT / log ref)^beta).</summary>
    public string? LatencyLoss { get; init; }
    /// <summary>ProxylessNAS: the reference (target) latency in milliseconds.</summary>
    public double? LatencyReference { get; init; }
    public double? LatencyLambda { get; init; }
    public double? LatencyAlpha { get; init; }
    public double? LatencyBeta { get; init; }
    /// <summary>ProxylessNAS's multiplicative form and FBNet: the unit (ms) latency is measured in under the log
    /// (<see cref="Methods.LatencyLoss.LogUnit"/>); null: 1 ms, or fastest / e for tables faster than e ms.</summary>
    public double? LatencyUnit { get; init; }
    /// <summary>ProxylessNAS, FBNet in a search spec: the latency table file (<c>latency-table</c>), validated at submit
    /// and read by the trainer; <c>nas train</c> takes it as <c>--latency-table</c>.</summary>
    public string? LatencyTable { get; init; }

    public void Validate()
    {
        static void Positive(double? v, string key)
        {
            if (v is { } x && !(x > 0 && double.IsFinite(x))) throw new ArgumentException($"training.architecture.{key} must be a finite number > 0, got {x}.");
        }
        Positive(LearningRate, "learning-rate");
        Positive(Temperature, "temperature");
        Positive(LatencyReference, "latency-reference");
        Positive(LatencyAlpha, "latency-alpha");
        Positive(LatencyUnit, "latency-unit");
        if (Beta1 is { } b1 && b1 is < 0 or >= 1) throw new ArgumentException($"training.architecture.beta1 must be in [0, 1), got {b1}.");
        if (Beta2 is { } b2 && b2 is < 0 or >= 1) throw new ArgumentException($"training.architecture.beta2 must be in [0, 1), got {b2}.");
        if (WeightDecay is { } wd && !(wd >= 0)) throw new ArgumentException($"training.architecture.weight-decay must be >= 0, got {wd}.");
        if (Split is { } s && !(s > 0 && s < 1)) throw new ArgumentException($"training.architecture.split must be in (0, 1), got {s}.");
        if (WarmupSteps < 0) throw new ArgumentException($"training.architecture.warmup-steps must be >= 0, got {WarmupSteps}.");
        if (TemperatureDecay is { } d && !(d >= 0)) throw new ArgumentException($"training.architecture.temperature-decay must be >= 0, got {d}.");
        if (LatencyLambda is { } l && !(l >= 0)) throw new ArgumentException($"training.architecture.latency-lambda must be >= 0, got {l}.");
        if (LatencyBeta is { } b && !(b >= 0)) throw new ArgumentException($"training.architecture.latency-beta must be >= 0, got {b}.");
        if (LatencyLoss is not (null or "additive" or "multiplicative"))
            throw new ArgumentException($"training.architecture.latency-loss must be additive or multiplicative, got '{LatencyLoss}'.");
    }
}

/// <summary>What one optimizer step did; a differentiable method adds its distribution's normalised entropy and argmax.</summary>
public sealed record StepMetrics(long Step, double Loss, double Accuracy, int Images, double LearningRate)
{
    /// <summary>Mean entropy per decision over its maximum (1 uniform, 0 decided); null for methods without a distribution.</summary>
    public double? ArchitectureEntropy { get; init; }
    /// <summary>The most probable architecture after the step (choice string); null for methods without a distribution.</summary>
    public string? Argmax { get; init; }
}
