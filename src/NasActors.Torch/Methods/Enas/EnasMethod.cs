using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.Enas;

/// <summary>
/// ENAS (Pham et al., 2018) on a block space. Training alternates a phase of <see cref="EnasOptions.WeightSteps"/>
/// shared-weight steps, each on one path sampled from the current policy (<see cref="EnasController"/>), with a phase
/// of <see cref="EnasOptions.ControllerSteps"/> controller steps: REINFORCE on a sampled architecture whose reward is
/// its accuracy on an architecture-split batch (batch statistics, as ENAS; no gradient to the weights) plus the entropy
/// bonus (weight 1e-4), against a moving-average baseline (decay 0.99), by Adam (3.5e-3, betas (0, 0.999)). A trainer
/// step is one weight step, followed by the controller phase when it ends a weight phase; controller step k reads
/// architecture batch k. Draws are pure functions of (seed, purpose, step). Export: <see cref="EnasOptions.Samples"/>
/// architectures sampled from the policy (<see cref="Derived"/>); <see cref="StepMetrics.Argmax"/> is the greedy one.
/// </summary>
public sealed class EnasMethod : SgdTrainedMethod
{
    public const string MethodName = "enas";
    public const double DefaultLearningRate = 3.5e-3, DefaultTemperature = 5;

    public static TrainingMethodInfo Info { get; } = new(MethodName,
        "LSTM controller samples paths; phases of shared-weight steps and REINFORCE controller steps",
        ArchitectureFraction: 0.2, c => new EnasMethod(c)) { Derives = true, ReadSettings = ReadSettings };

    /// <summary>The controller's and the phases' keys (<see cref="EnasOptions"/>), <c>temperature</c>, and the
    /// controller's Adam and split (<see cref="DifferentiableMethod.ReadArchitectureSettings"/>; no warm-up: the first
    /// controller phase follows the first weight phase).</summary>
    public static SupernetTrainingOptions ReadSettings(SupernetTrainingOptions options, Core.Controllers.SettingsReader r)
    {
        var o = DifferentiableMethod.ReadArchitectureSettings(options, r, split: true, warmup: false);
        var e = o.Enas;
        return o with
        {
            Enas = new EnasOptions
            {
                HiddenUnits = r.Int("hidden-units", e.HiddenUnits, min: 1),
                WeightSteps = r.Int("weight-steps", e.WeightSteps, min: 1),
                ControllerSteps = r.Int("controller-steps", e.ControllerSteps, min: 1),
                TanhConstant = r.Double("tanh-constant", e.TanhConstant, min: 0),
                EntropyWeight = r.Double("entropy-weight", e.EntropyWeight, min: 0),
                BaselineDecay = r.Double("baseline-decay", e.BaselineDecay, min: 0, max: 1 - 1e-12),
                Samples = r.Int("samples", e.Samples, min: 1),
            },
            Architecture = o.Architecture with { Temperature = DifferentiableMethod.Optional(r, "temperature", o.Architecture.Temperature, double.Epsilon, double.MaxValue) },
        };
    }

    public EnasMethod(MethodContext context) : base(context)
    {
        Settings = context.Options.Enas;
        ArchitectureData = context.ArchitectureData ?? throw new ArgumentException("ENAS needs the architecture split's batches: its reward is accuracy on them.");
        foreach (var norm in Network.modules().OfType<PathBatchNorm>()) norm.DeferStatistics = true;
        Policy = new EnasPolicy(context.Space.ChoiceCounts, PolicySettings(context.Options),
            (long)(DeterministicRandom.Mix(context.Options.Seed, "enas-controller-init") >> 1));
    }

    /// <summary>The policy's settings from the training options: <see cref="EnasOptions"/> and the architecture side's
    /// Adam and temperature (ENAS's defaults: 3.5e-3, betas (0, 0.999), temperature 5).</summary>
    public static EnasPolicySettings PolicySettings(SupernetTrainingOptions options)
    {
        var a = options.Architecture;
        var e = options.Enas;
        return new EnasPolicySettings(e.HiddenUnits, a.Temperature ?? DefaultTemperature, e.TanhConstant, a.LearningRate ?? DefaultLearningRate,
            a.Beta1 ?? 0, a.Beta2 ?? 0.999, a.WeightDecay ?? 0, e.EntropyWeight, e.BaselineDecay);
    }

    public override string Name => MethodName;
    public EnasOptions Settings { get; }
    /// <summary>The LSTM controller and its REINFORCE step.</summary>
    public EnasPolicy Policy { get; }
    public EnasController Controller => Policy.Controller;
    public Data.BatchLoader ArchitectureData { get; }
    public double ControllerLearningRate => Policy.Settings.LearningRate;

    /// <summary>The moving-average baseline of the rewards.</summary>
    public double Baseline => Policy.Baseline;

    /// <summary>The path weight step <paramref name="step"/> trains: a draw from the current policy.</summary>
    public Architecture WeightPath(long step)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return Controller.Run(DeterministicRandom.For(Context.Options.Seed, "enas-weight-path", step)).Architecture;
    }

    public override StepMetrics TrainStep(long step, double learningRate)
    {
        var metrics = WeightStep(step, learningRate);
        if ((step + 1) % Settings.WeightSteps == 0)
        {
            var phase = (step + 1) / Settings.WeightSteps - 1;
            for (var j = 0; j < Settings.ControllerSteps; j++)
            {
                var k = phase * Settings.ControllerSteps + j;
                ControllerStep(k, architecture => Reward(architecture, k));
            }
        }
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var probabilities = new List<double[]>();
        var greedy = Controller.Run(probabilities: probabilities).Architecture;
        return metrics with
        {
            Argmax = Context.Space.Format(greedy),
            ArchitectureEntropy = new ArchitectureDistribution(probabilities).NormalizedEntropy(),
        };
    }

    /// <summary>One SGD step of the shared weights on <see cref="WeightPath"/>; BatchNorm statistics folded.</summary>
    public StepMetrics WeightStep(long step, double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        Network.zero_grad();
        var path = WeightPath(step);
        using var batch = Context.Data.GetBatch(step, Context.Device);
        var dropout = DropoutGenerator("dropout", step);
        var statistics = PathBatchNorm.StartCollecting();
        try
        {
            Tensor logits;
            try { logits = Network.Forward(batch.Images, path, dropout); }
            finally { PathBatchNorm.StopCollecting(); }
            var loss = CrossEntropy(logits, batch.Labels);
            return SgdStep(step, learningRate, batch, logits, loss, () => { foreach (var s in statistics) s.Fold(); });
        }
        finally
        {
            foreach (var s in statistics) s.Dispose();
        }
    }

    /// <summary>The accuracy of an architecture with the shared weights on architecture batch <paramref name="k"/>
    /// (batch statistics, discarded; dropout seeded by k).</summary>
    public double Reward(Architecture architecture, long k)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        Network.train();
        using var batch = ArchitectureData.GetBatch(k, Context.Device);
        var dropout = DropoutGenerator("enas-reward-dropout", k);
        var statistics = PathBatchNorm.StartCollecting();
        try
        {
            var logits = Network.Forward(batch.Images, architecture, dropout);
            return Accuracy(logits, batch);
        }
        finally
        {
            PathBatchNorm.StopCollecting();
            foreach (var s in statistics) s.Dispose();
        }
    }

    /// <summary>
    /// One REINFORCE step of the controller (controller step <paramref name="k"/>): sample, reward' = reward + entropy
    /// weight * entropy, baseline -= (1 - decay)(baseline - reward'), loss = -log p * (reward' - baseline), Adam.
    /// Returns the sample and its reward.
    /// </summary>
    public (Architecture Architecture, double Reward) ControllerStep(long k, Func<Architecture, double> reward)
    {
        using var scope = torch.NewDisposeScope();
        var sample = Controller.Run(DeterministicRandom.For(Context.Options.Seed, "enas-controller-path", k));
        var r = reward(sample.Architecture);
        Policy.Reinforce(sample, r);
        return (sample.Architecture, r);
    }

    /// <summary>The policy's probability of every choice of the first decision (it has no earlier decision to depend on).</summary>
    public double[] FirstDecision()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var probabilities = new List<double[]>();
        Controller.Run(probabilities: probabilities);
        return probabilities[0];
    }

    /// <summary><see cref="EnasOptions.Samples"/> draws of the policy, distinct, in draw order.</summary>
    public override IReadOnlyList<Architecture> Derived()
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var rng = DeterministicRandom.For(Context.Options.Seed, "enas-export");
        return Enumerable.Range(0, Settings.Samples).Select(_ => Controller.Run(rng).Architecture).Distinct().ToArray();
    }

    public override IEnumerable<(string Name, Tensor Tensor)> State() => MomentumState().Concat(Policy.State());

    public override void LoadState(LoadedCheckpoint checkpoint)
    {
        Policy.LoadState(checkpoint);
        LoadMomentum(checkpoint);
    }

    public override void Dispose()
    {
        Policy.Dispose();
        base.Dispose();
    }
}
