using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.FbNet;

/// <summary>
/// FBNet (Wu et al., 2019) on a block space: every layer outputs the sum of its blocks weighted by a Gumbel-softmax
/// sample over theta, at temperature tau_0 * exp(-0.045 * epoch) (tau_0 = 5; an epoch is one pass over the weight
/// stream). The architecture loss is CE * alpha * (log LAT)^beta (alpha 0.2, beta 0.6) with LAT the latency of the
/// sampled mixture under a per-layer table, measured in a unit in which every architecture's latency exceeds 1 so that
/// log LAT > 0 (<see cref="LatencyLoss.LogUnit"/>: 1 ms, or fastest / e for tables faster than e ms, or the
/// <c>latency-unit</c> setting); without a table the loss is the cross-entropy alone. Steps alternate per batch (the paper alternates per epoch). Theta: Adam 0.01,
/// weight decay 5e-4, initialised to 0 (uniform); it trains on 20% of the training split.
/// </summary>
public sealed class FbNetMethod : DifferentiableMethod
{
    public const string MethodName = "fbnet";
    public const double LatencyAlpha = 0.2, LatencyBeta = 0.6;

    public static ArchitectureDefaults Defaults { get; } = new(0.01, 0.9, 0.999, 5e-4, 0);

    public static TrainingMethodInfo Info { get; } = new(MethodName,
        "Gumbel-softmax mixture, latency-aware loss CE * 0.2 * (log LAT)^0.6", ArchitectureFraction: 0.2, c => new FbNetMethod(c)) { Recipe = Recipe, ReadSettings = ReadSettings };

    /// <summary>The common settings (<see cref="DifferentiableMethod.ReadCommonSettings"/>), <c>temperature</c> (tau_0),
    /// <c>temperature-decay</c> (per epoch) and the latency loss's <c>latency-table</c>, <c>latency-alpha</c>,
    /// <c>latency-beta</c> and <c>latency-unit</c>.</summary>
    public static SupernetTrainingOptions ReadSettings(SupernetTrainingOptions options, Core.Controllers.SettingsReader r)
    {
        var o = ReadCommonSettings(options, r, Recipe);
        var t = r.Double("temperature", double.NaN, double.Epsilon, double.MaxValue);
        var d = r.Double("temperature-decay", double.NaN, 0, double.MaxValue);
        return ReadLatencySettings(o with
        {
            Architecture = o.Architecture with
            {
                Temperature = double.IsNaN(t) ? o.Architecture.Temperature : t,
                TemperatureDecay = double.IsNaN(d) ? o.Architecture.TemperatureDecay : d,
            },
        }, r, ["latency-table", "latency-alpha", "latency-beta", "latency-unit"]);
    }

    /// <summary>FBNet's published weight recipe: SGD 0.1 cosine, momentum 0.9, weight decay 1e-4.</summary>
    public static SupernetTrainingOptions Recipe(SupernetTrainingOptions options) => options with
    {
        Method = MethodName, LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-4, Decay = LearningRateDecay.Cosine,
    };

    private readonly (double Fixed, double[][] PerChoice)? _latency;

    public FbNetMethod(MethodContext context) : base(context, Defaults)
    {
        InitialTemperature = context.Options.Architecture.Temperature ?? 5.0;
        TemperatureDecay = context.Options.Architecture.TemperatureDecay ?? 0.045;
        if (context.Latency is { } table)
        {
            _latency = LatencyLoss.Table(table, context.Space.ChoiceCounts);
            LatencyUnit = LatencyLoss.LogUnit(LatencyLoss.Fastest(_latency.Value), context.Options.Architecture.LatencyUnit);
        }
    }

    /// <summary>The unit (ms) LAT is measured in for log LAT (<see cref="LatencyLoss.LogUnit"/>): 1 ms for tables whose
    /// fastest architecture takes e ms or more, as published; below, fastest / e.</summary>
    public double LatencyUnit { get; } = 1;

    public override string Name => MethodName;
    public double InitialTemperature { get; }
    public double TemperatureDecay { get; }

    /// <summary>tau_0 * exp(-decay * epoch).</summary>
    public static double Temperature(double initial, double decay, long epoch) => initial * Math.Exp(-decay * epoch);

    /// <summary>The temperature of a step: that of its epoch of the weight stream.</summary>
    public double TemperatureAt(long step) => Temperature(InitialTemperature, TemperatureDecay, step / Context.Data.BatchesPerEpoch);

    private Tensor[] Samples(long step, string purpose, bool detach)
    {
        var generator = DrawGenerator(purpose, step);
        var temperature = TemperatureAt(step);
        return Alphas.Select(theta => GumbelSoftmax.Sample(detach ? theta.detach() : theta, temperature, generator)).ToArray();
    }

    protected override Tensor WeightForward(Tensor images, long step, Generator dropout) =>
        Network.ForwardMixed(images, Samples(step, "fbnet-weight-gumbel", detach: true), dropout);

    public override void ArchitectureStep(long step, double weightLearningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        using var batch = ArchitectureData.GetBatch(step, Context.Device);
        var mask = Samples(step, "fbnet-architecture-gumbel", detach: false);
        var loss = ArchitectureLoss(batch, x => Network.ForwardMixed(x, mask, DropoutGenerator("fbnet-architecture-dropout", step)));
        if (_latency is { } table)
            loss = LatencyLoss.Multiplicative(loss, LatencyLoss.Expected(mask, table).div(LatencyUnit),
                Context.Options.Architecture.LatencyAlpha ?? LatencyAlpha, Context.Options.Architecture.LatencyBeta ?? LatencyBeta, Math.E);
        StepArchitecture(torch.autograd.grad([loss], Alphas.Cast<Tensor>().ToList()).ToArray());
    }
}
