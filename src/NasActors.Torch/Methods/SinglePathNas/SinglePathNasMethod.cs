using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Families;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.SinglePathNas;

/// <summary>
/// Single-Path NAS (Stamoulis et al., 2019) on an MBConv space whose choices are expansion {3, 6} x kernel {3, 5, 7}:
/// one superkernel per layer (<see cref="Superkernel"/>) instead of separate choice blocks, the choice decided by
/// three indicators per layer with trainable thresholds [t5, t7, te] (initialised to 0: everything on). The loss is
/// CE + lambda * log(R), R the runtime of the indicators' architecture in the latency table (differentiable in the
/// indicators: per layer, the table's entries mixed by them). Weights (SGD with momentum) and thresholds (Adam) train
/// on the same batch in the same step. The paper's schedule: for the first <c>training.architecture.warmup-steps</c>
/// steps lambda is 0, the thresholds stay, and each indicator is dropped (set to 0) with probability
/// <see cref="SinglePathNasOptions.IndicatorDropout"/> per step; then the runtime term applies. The derived architecture
/// is read off the thresholds (<see cref="Derived"/>). Defaults: thresholds' Adam 1e-3, betas (0.9, 0.999); lambda 0.02.
/// </summary>
public sealed class SinglePathNasMethod : SgdTrainedMethod
{
    public const string MethodName = "spnas";
    public const double DefaultThresholdLearningRate = 1e-3, DefaultLambda = 0.02;

    public static TrainingMethodInfo Info { get; } = new(MethodName,
        "one superkernel per layer, choices by thresholded weight norms, loss CE + lambda * log(runtime)",
        ArchitectureFraction: 0, c => new SinglePathNasMethod(c))
    {
        Network = (space, seed) => BlockNetwork.SingleBlockSupernet(space, SuperkernelPath(space), seed),
        ScoringNetwork = ScoringNetwork,
        Derives = true,
        ReadSettings = ReadSettings,
    };

    /// <summary><c>indicator-dropout</c>, <c>latency-table</c> and <c>latency-lambda</c>
    /// (<see cref="DifferentiableMethod.ReadLatencySettings"/>), and the thresholds' Adam and first phase
    /// (<see cref="DifferentiableMethod.ReadArchitectureSettings"/>, without a split: they train on the weights' batch).</summary>
    public static SupernetTrainingOptions ReadSettings(SupernetTrainingOptions options, Core.Controllers.SettingsReader r)
    {
        var o = DifferentiableMethod.ReadArchitectureSettings(options, r, split: false, warmup: true);
        o = DifferentiableMethod.ReadLatencySettings(o, r, ["latency-table", "latency-lambda"]);
        return o with
        {
            SinglePath = new SinglePathNasOptions { IndicatorDropout = r.Double("indicator-dropout", o.SinglePath.IndicatorDropout, min: 0, max: 1 - 1e-12) },
        };
    }

    private readonly MbConvSpace _space;
    private readonly AdamOptimizer _thresholdOptimizer;
    private readonly (double Fixed, double[][] PerChoice) _latency;

    public SinglePathNasMethod(MethodContext context) : base(context)
    {
        _space = SpaceOf(context.Space);
        _latency = LatencyLoss.Table(context.Latency
            ?? throw new ArgumentException("Single-Path NAS needs a latency table (an additive cost model with a 'latency' metric): its loss is CE + lambda * log(runtime)."),
            context.Space.ChoiceCounts);
        var a = context.Options.Architecture;
        Lambda = a.LatencyLambda ?? DefaultLambda;
        ThresholdLearningRate = a.LearningRate ?? DefaultThresholdLearningRate;
        Thresholds = new Parameter(torch.zeros(_space.Layers.Count, 3, device: context.Device), requires_grad: true);
        _thresholdOptimizer = new AdamOptimizer([(ThresholdName, Thresholds)], a.Beta1 ?? 0.9, a.Beta2 ?? 0.999, a.WeightDecay ?? 0);
    }

    public const string ThresholdName = "thresholds";

    public override string Name => MethodName;

    /// <summary>Per layer [t5, t7, te].</summary>
    public Parameter Thresholds { get; }
    public double Lambda { get; }
    public double ThresholdLearningRate { get; }

    /// <summary>The runtime R (ms) of the last step's forward, from the table.</summary>
    public double LastRuntime { get; private set; }

    /// <summary>True in the first phase (lambda 0, indicator dropout, thresholds fixed).</summary>
    public bool InFirstPhase(long step) => step < Context.Options.Architecture.WarmupSteps;

    /// <summary>The superkernel of a layer.</summary>
    public MbConvBlock SuperkernelOf(int layer) => (MbConvBlock)Network.Block(layer, Superkernel.ChoiceIndex);

    /// <summary>Every layer's indicators from the current weights and thresholds (differentiable).</summary>
    public Indicators[] Decide() =>
        Enumerable.Range(0, _space.Layers.Count).Select(l => Superkernel.Decide(SuperkernelOf(l), Thresholds[l])).ToArray();

    /// <summary>The forward under given indicators.</summary>
    public Tensor Forward(Tensor images, IReadOnlyList<Indicators> indicators, Generator? dropout = null) =>
        Network.Forward(images, (u, h) => Superkernel.Forward(SuperkernelOf(u.Decision), _space.Layers[u.Decision], h, indicators[u.Decision]), dropout);

    /// <summary>R = fixed + per layer (1 - ge) K(3) + ge K(6), K(e) = (1 - g5) T(e,3) + g5 ((1 - g7) T(e,5) + g7 T(e,7)).</summary>
    public Tensor Runtime(IReadOnlyList<Indicators> indicators)
    {
        var device = indicators[0].Kernel5.device;
        var total = torch.tensor(_latency.Fixed, dtype: ScalarType.Float64, device: device);
        for (var l = 0; l < indicators.Count; l++)
        {
            var (g5, g7, ge) = (indicators[l].Kernel5.to(ScalarType.Float64), indicators[l].Kernel7.to(ScalarType.Float64), indicators[l].Expansion6.to(ScalarType.Float64));
            Tensor T(int e, int k) => torch.tensor(_latency.PerChoice[l][MbConvSpace.ChoiceIndex(e, k)], dtype: ScalarType.Float64, device: device);
            Tensor K(int e) => T(e, 3).mul(g5.neg().add(1)).add(g5.mul(T(e, 5).mul(g7.neg().add(1)).add(T(e, 7).mul(g7))));
            total = total.add(K(3).mul(ge.neg().add(1)).add(K(6).mul(ge)));
        }
        return total;
    }

    public override StepMetrics TrainStep(long step, double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        Network.zero_grad();
        Thresholds.grad = null;
        using var batch = Context.Data.GetBatch(step, Context.Device);
        var firstPhase = InFirstPhase(step);
        var indicators = Decide();
        if (firstPhase) indicators = DropIndicators(indicators, step);
        var logits = Forward(batch.Images, indicators, DropoutGenerator("dropout", step));
        var loss = CrossEntropy(logits, batch.Labels);
        var runtime = Runtime(indicators);
        LastRuntime = runtime.item<double>();
        if (!firstPhase && Lambda > 0) loss = loss.add(runtime.log().to(loss.dtype).mul(Lambda));
        var metrics = SgdStep(step, learningRate, batch, logits, loss);
        if (!firstPhase) _thresholdOptimizer.Step(ThresholdLearningRate);
        return metrics with { Argmax = Context.Space.Format(DerivedArchitecture()) };
    }

    /// <summary>First phase: each indicator kept with probability 1 - p, drawn per (seed, step, layer, indicator).</summary>
    private Indicators[] DropIndicators(Indicators[] indicators, long step)
    {
        var rng = DeterministicRandom.For(Context.Options.Seed, "spnas-indicator-dropout", step);
        var p = Context.Options.SinglePath.IndicatorDropout;
        Tensor Keep(Tensor g) => rng.NextDouble() < p ? g.mul(0) : g;
        return indicators.Select(g => new Indicators(Keep(g.Kernel5), Keep(g.Kernel7), Keep(g.Expansion6))).ToArray();
    }

    /// <summary>The architecture the thresholds select with the current weights (no dropout).</summary>
    public Architecture DerivedArchitecture()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return new Architecture(Decide().Select(g => g.Choice()).Select(c => MbConvSpace.ChoiceIndex(c.Expansion, c.Kernel)));
    }

    public override IReadOnlyList<Architecture> Derived() => [DerivedArchitecture()];

    public override IEnumerable<(string Name, Tensor Tensor)> State() =>
        MomentumState()
            .Append(("spnas/" + ThresholdName, (Tensor)Thresholds))
            .Concat(_thresholdOptimizer.State().Select(s => ("spnas-adam/" + s.Name, s.Tensor)));

    public override void LoadState(LoadedCheckpoint checkpoint)
    {
        if (!checkpoint.Tensors.TryGetValue("spnas/" + ThresholdName, out var saved))
            throw new CheckpointException(checkpoint.Path, $"it lacks Single-Path NAS's thresholds 'spnas/{ThresholdName}'");
        if (!saved.shape.SequenceEqual(Thresholds.shape))
            throw new CheckpointException(checkpoint.Path, $"'spnas/{ThresholdName}' has shape [{string.Join(",", saved.shape)}], the space needs [{string.Join(",", Thresholds.shape)}]");
        LoadMomentum(checkpoint);
        try { _thresholdOptimizer.Load(checkpoint.WithPrefix("spnas-adam/")); }
        catch (ArgumentException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
        using var noGrad = torch.no_grad();
        Thresholds.copy_(saved);
    }

    /// <summary>The superkernel of every layer.</summary>
    public static Architecture SuperkernelPath(BlockSpace space) =>
        new(Enumerable.Repeat(Superkernel.ChoiceIndex, SpaceOf(space).Layers.Count));

    /// <summary>A supernet whose every choice block is its slice of the checkpoint's superkernel (BatchNorm statistics included).</summary>
    public static BlockNetwork ScoringNetwork(LoadedCheckpoint checkpoint, BlockSpace space, Device device)
    {
        var mb = SpaceOf(space);
        using var superkernels = BlockNetwork.SingleBlockSupernet(space, SuperkernelPath(space));
        NetworkState.Load(superkernels, checkpoint.WithPrefix("model/"), checkpoint.Path);
        var network = BlockNetwork.Supernet(space);
        try
        {
            var shared = superkernels.state_dict().Where(kv => !kv.Key.StartsWith("layers.", StringComparison.Ordinal)).ToDictionary();
            using (torch.no_grad())
                foreach (var (name, tensor) in network.state_dict())
                    if (shared.TryGetValue(name, out var value)) tensor.copy_(value);
            for (var l = 0; l < mb.Layers.Count; l++)
                for (var c = 0; c < MbConvSpace.Choices.Count; c++)
                    Superkernel.Slice((MbConvBlock)superkernels.Block(l, Superkernel.ChoiceIndex), (MbConvBlock)network.Block(l, c), mb.Layers[l], MbConvSpace.Choices[c]);
            network.to(device);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static MbConvSpace SpaceOf(BlockSpace space)
    {
        if (space is not MbConvSpace mb)
            throw new ArgumentException($"Single-Path NAS needs MBConv superkernels; space '{space.Name}' is not an MBConv space.");
        return mb;
    }

    public override void Dispose()
    {
        _thresholdOptimizer.Dispose();
        Thresholds.Dispose();
        base.Dispose();
    }
}
