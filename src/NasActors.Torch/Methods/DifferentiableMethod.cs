using NasActors.Core.Controllers;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Core.Determinism;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods;

/// <summary>A differentiable method's published settings for its architecture parameters (Adam and initialisation).</summary>
public sealed record ArchitectureDefaults(double LearningRate, double Beta1, double Beta2, double WeightDecay, double InitScale);

/// <summary>
/// The frame shared by the methods with architecture parameters (DARTS, FBNet, ProxylessNAS): one real-valued vector
/// alpha per layer (softmax(alpha) is the layer's distribution over its choices) trained by Adam on the architecture
/// split, the supernet's weights trained by SGD with momentum on the rest of the training split. A step is an
/// architecture step on architecture batch <c>step</c> (after the architecture warm-up), then a weight step on weight
/// batch <c>step</c>. Every random draw (dropout, Gumbel noise, sampled paths) is seeded by (seed, purpose, step).
/// <para>
/// BatchNorm running statistics follow the weight steps' batches only: every BatchNorm defers its statistics, the
/// weight step folds them, and the architecture step (and DARTS's virtual steps) discard theirs, so the architecture
/// step changes neither weights nor buffers.
/// </para>
/// </summary>
public abstract class DifferentiableMethod : SgdTrainedMethod
{
    private readonly Generator _draws = new(0, torch.CPU);

    protected DifferentiableMethod(MethodContext context, ArchitectureDefaults defaults) : base(context)
    {
        ArchitectureData = context.ArchitectureData
            ?? throw new ArgumentException($"Method '{GetType().Name}' needs the architecture split's batches.");
        foreach (var norm in Network.modules().OfType<PathBatchNorm>()) norm.DeferStatistics = true;
        Weights = Network.named_parameters().ToArray();
        var a = context.Options.Architecture;
        ArchitectureLearningRate = a.LearningRate ?? defaults.LearningRate;
        var init = DrawGenerator("alpha-init");
        Alphas = context.Space.ChoiceCounts.Select(m =>
        {
            using var values = torch.randn(m, generator: init).mul_(defaults.InitScale);
            return new Parameter(values.to(context.Device).DetachFromDisposeScope(), requires_grad: true);
        }).ToArray();
        ArchitectureOptimizer = new AdamOptimizer(Alphas.Select((p, i) => (AlphaName(i), p)),
            a.Beta1 ?? defaults.Beta1, a.Beta2 ?? defaults.Beta2, a.WeightDecay ?? defaults.WeightDecay);
    }

    protected BatchLoader ArchitectureData { get; }

    /// <summary>The network's parameters, by name: what the weight step trains.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Weights { get; }
    public SgdMomentum WeightOptimizer => Optimizer;

    /// <summary>One vector per choice layer, named <c>alpha.LAYER</c>.</summary>
    public IReadOnlyList<Parameter> Alphas { get; }
    public AdamOptimizer ArchitectureOptimizer { get; }
    public double ArchitectureLearningRate { get; }

    public static string AlphaName(int layer) => $"alpha.{layer}";

    /// <summary>
    /// The settings every differentiable method reads: <c>published-recipe</c> (the method's weight recipe, over the
    /// spec's learning rate, momentum, weight decay, label smoothing and decay), <c>gradient-clip</c>, and the
    /// architecture parameters' <c>arch-learning-rate</c>, <c>arch-beta1</c>, <c>arch-beta2</c>,
    /// <c>arch-weight-decay</c>, <c>arch-split</c> (part of the training split they train on) and
    /// <c>arch-warmup-steps</c>. A key not given keeps the method's published default.
    /// </summary>
    public static SupernetTrainingOptions ReadCommonSettings(SupernetTrainingOptions options, SettingsReader r,
        Func<SupernetTrainingOptions, SupernetTrainingOptions> recipe)
    {
        if (r.Bool("published-recipe", false)) options = recipe(options);
        options = ReadArchitectureSettings(options, r, split: true, warmup: true);
        return options with { GradientClip = r.Double("gradient-clip", options.GradientClip, min: 0) };
    }

    /// <summary>
    /// The architecture side's keys, shared by every method that trains architecture parameters by Adam (the
    /// differentiable ones, ENAS's controller, Single-Path NAS's thresholds): <c>arch-learning-rate</c>,
    /// <c>arch-beta1</c>, <c>arch-beta2</c>, <c>arch-weight-decay</c>; with <paramref name="split"/> <c>arch-split</c>
    /// (for methods that train them on their own part of the training split), with <paramref name="warmup"/>
    /// <c>arch-warmup-steps</c> (for methods whose architecture side waits for the weights). A method offers only the
    /// keys it reads, so a key that would change nothing is refused.
    /// </summary>
    public static SupernetTrainingOptions ReadArchitectureSettings(SupernetTrainingOptions options, SettingsReader r, bool split, bool warmup)
    {
        var a = options.Architecture;
        var warmupSteps = warmup ? r.Int("arch-warmup-steps", (int)Math.Min(a.WarmupSteps, int.MaxValue), min: 0) : a.WarmupSteps;
        r.Require(warmupSteps == 0 || warmupSteps < options.Steps, "arch-warmup-steps",
            $"{warmupSteps}: must be below training.steps ({options.Steps}), or the architecture parameters are never trained");
        return options with
        {
            Architecture = a with
            {
                LearningRate = Optional(r, "arch-learning-rate", a.LearningRate, double.Epsilon, double.MaxValue),
                Beta1 = Optional(r, "arch-beta1", a.Beta1, 0, 1 - 1e-12),
                Beta2 = Optional(r, "arch-beta2", a.Beta2, 0, 1 - 1e-12),
                WeightDecay = Optional(r, "arch-weight-decay", a.WeightDecay, 0, double.MaxValue),
                Split = split ? Optional(r, "arch-split", a.Split, 1e-9, 1 - 1e-9) : a.Split,
                WarmupSteps = warmupSteps,
            },
        };
    }

    /// <summary>A key whose absence keeps <paramref name="current"/> (null: the method's published default).</summary>
    public static double? Optional(SettingsReader r, string key, double? current, double min, double max)
    {
        var v = r.Double(key, double.NaN, min, max);
        return double.IsNaN(v) ? current : v;
    }

    /// <summary>
    /// The latency loss's settings a latency-aware method reads (those of <paramref name="keys"/>): <c>latency-table</c>
    /// (a file, <see cref="LatencyLoss.ReadTable"/>; a search validates it at submit and its trainer reads it),
    /// <c>latency-loss</c> (additive or multiplicative), <c>latency-reference</c> (ms), <c>latency-lambda</c>,
    /// <c>latency-alpha</c>, <c>latency-beta</c> and <c>latency-unit</c> (ms, <see cref="LatencyLoss.LogUnit"/>).
    /// </summary>
    public static SupernetTrainingOptions ReadLatencySettings(SupernetTrainingOptions options, SettingsReader r, IReadOnlyCollection<string> keys)
    {
        double? Optional(string key, double? current, double min)
        {
            if (!keys.Contains(key)) return current;
            var v = r.Double(key, double.NaN, min, double.MaxValue);
            return double.IsNaN(v) ? current : v;
        }
        var a = options.Architecture;
        var table = keys.Contains("latency-table") ? r.String("latency-table", "") : "";
        return options with
        {
            Architecture = a with
            {
                LatencyTable = table.Length > 0 ? table : a.LatencyTable,
                LatencyLoss = keys.Contains("latency-loss") && r.String("latency-loss", "", "additive", "multiplicative") is { Length: > 0 } l
                    ? l.ToLowerInvariant() : a.LatencyLoss,
                LatencyReference = Optional("latency-reference", a.LatencyReference, double.Epsilon),
                LatencyLambda = Optional("latency-lambda", a.LatencyLambda, 0),
                LatencyAlpha = Optional("latency-alpha", a.LatencyAlpha, double.Epsilon),
                LatencyBeta = Optional("latency-beta", a.LatencyBeta, 0),
                LatencyUnit = Optional("latency-unit", a.LatencyUnit, double.Epsilon),
            },
        };
    }

    /// <summary>softmax(alpha) of every layer.</summary>
    public override ArchitectureDistribution? Distribution
    {
        get
        {
            using var noGrad = torch.no_grad();
            return new ArchitectureDistribution(Alphas.Select(a =>
            {
                using var p = a.softmax(0).to(ScalarType.Float64).cpu();
                return p.data<double>().ToArray();
            }).ToArray());
        }
    }

    /// <summary>On a cell space, DARTS's discretisation of the current distribution (<see cref="CellSpace.Discretise"/>);
    /// on a block space nothing beyond the distribution's argmax.</summary>
    public override IReadOnlyList<Architecture> Derived() =>
        Context.Space is CellSpace ? [CellSpace.Discretise(Distribution!)] : [];

    public override StepMetrics TrainStep(long step, double learningRate)
    {
        if (step >= Context.Options.Architecture.WarmupSteps) ArchitectureStep(step, learningRate);
        var metrics = WeightStep(step, learningRate);
        var distribution = Distribution!;
        return metrics with
        {
            ArchitectureEntropy = distribution.NormalizedEntropy(),
            Argmax = Context.Space.Format(distribution.Argmax()),
        };
    }

    /// <summary>Updates the architecture parameters on architecture batch <paramref name="step"/>; weights and buffers stay as they are.</summary>
    public abstract void ArchitectureStep(long step, double weightLearningRate);

    /// <summary>The method's forward for a weight step (architecture parameters detached: they do not move).</summary>
    protected abstract Tensor WeightForward(Tensor images, long step, Generator dropout);

    /// <summary>One SGD step of the weights on weight batch <paramref name="step"/>; the architecture parameters stay as they are.</summary>
    public StepMetrics WeightStep(long step, double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        Network.zero_grad();
        using var batch = Context.Data.GetBatch(step, Context.Device);
        var statistics = PathBatchNorm.StartCollecting();
        Tensor logits;
        try { logits = WeightForward(batch.Images, step, DropoutGenerator("dropout", step)); }
        finally { PathBatchNorm.StopCollecting(); }
        try
        {
            var loss = CrossEntropy(logits, batch.Labels);
            return SgdStep(step, learningRate, batch, logits, loss, () =>
            {
                foreach (var s in statistics) s.Fold();
                if (Context.Options.GradientClip > 0)
                    nn.utils.clip_grad_norm_(Weights.Select(w => w.Parameter), Context.Options.GradientClip);
            });
        }
        finally
        {
            foreach (var s in statistics) s.Dispose();
        }
    }

    /// <summary>Sets the architecture parameters' gradients and takes one Adam step.</summary>
    protected void StepArchitecture(IReadOnlyList<Tensor> gradients)
    {
        using var noGrad = torch.no_grad();
        for (var i = 0; i < Alphas.Count; i++) Alphas[i].grad = gradients[i].detach().clone();
        ArchitectureOptimizer.Step(ArchitectureLearningRate);
        foreach (var a in Alphas) a.grad = null;
    }

    /// <summary>Runs a forward pass whose BatchNorm statistics are discarded (architecture steps, virtual steps).</summary>
    protected static Tensor WithoutStatistics(Func<Tensor> forward)
    {
        var statistics = PathBatchNorm.StartCollecting();
        try { return forward(); }
        finally
        {
            PathBatchNorm.StopCollecting();
            foreach (var s in statistics) s.Dispose();
        }
    }

    /// <summary>The cross-entropy of a forward on a batch, BatchNorm statistics discarded.</summary>
    protected Tensor ArchitectureLoss(TensorBatch batch, Func<Tensor, Tensor> forward) =>
        CrossEntropy(WithoutStatistics(() => forward(batch.Images)), batch.Labels);

    /// <summary>A CPU generator for the method's own draws (Gumbel noise, initialisation), seeded by (seed, purpose, counters).</summary>
    protected Generator DrawGenerator(string purpose, params long[] counters)
    {
        _draws.manual_seed((long)(DeterministicRandom.Mix(Context.Options.Seed, purpose, counters) >> 1));
        return _draws;
    }

    /// <summary>
    /// autograd.grad with allow_unused: TorchSharp returns an unused input's gradient as a tensor with an empty handle,
    /// not null; this makes it null.
    /// </summary>
    public static Tensor?[] Gradients(Tensor output, IList<Tensor> inputs) =>
        torch.autograd.grad([output], inputs, allow_unused: true).Select(g => g is null || g.IsInvalid ? null : g).ToArray();

    /// <summary>softmax(alpha) per layer; detached for the weight step.</summary>
    protected Tensor[] Softmaxes(bool detach) =>
        Alphas.Select(a => detach ? a.detach().softmax(0) : a.softmax(0)).ToArray();

    public override IEnumerable<(string Name, Tensor Tensor)> State() =>
        MomentumState()
            .Concat(Alphas.Select((a, i) => ("arch/" + AlphaName(i), (Tensor)a)))
            .Concat(ArchitectureOptimizer.State().Select(s => ("arch-adam/" + s.Name, s.Tensor)));

    public override void LoadState(LoadedCheckpoint checkpoint)
    {
        var alphas = checkpoint.WithPrefix("arch/");
        for (var i = 0; i < Alphas.Count; i++)
        {
            if (!alphas.TryGetValue(AlphaName(i), out var saved))
                throw new CheckpointException(checkpoint.Path, $"it lacks the architecture parameters 'arch/{AlphaName(i)}'");
            if (!saved.shape.SequenceEqual(Alphas[i].shape))
                throw new CheckpointException(checkpoint.Path, $"'arch/{AlphaName(i)}' has shape [{string.Join(",", saved.shape)}], layer {i} has {Alphas[i].shape[0]} choices");
        }
        if (alphas.Count != Alphas.Count)
            throw new CheckpointException(checkpoint.Path, $"it holds {alphas.Count} architecture vectors, the space has {Alphas.Count} layers");
        LoadMomentum(checkpoint);
        try { ArchitectureOptimizer.Load(checkpoint.WithPrefix("arch-adam/")); }
        catch (ArgumentException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
        using var noGrad = torch.no_grad();
        for (var i = 0; i < Alphas.Count; i++) Alphas[i].copy_(alphas[AlphaName(i)]);
    }

    public override void Dispose()
    {
        ArchitectureOptimizer.Dispose();
        foreach (var a in Alphas) a.Dispose();
        _draws.Dispose();
        base.Dispose();
    }
}
