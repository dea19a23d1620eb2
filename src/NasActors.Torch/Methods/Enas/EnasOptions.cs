namespace NasActors.Torch.Methods.Enas;

/// <summary>ENAS's settings (spec keys <c>training.enas.*</c>); beside them in that block the controller's Adam and
/// temperature (<c>arch-learning-rate</c> 3.5e-3, <c>arch-beta1</c> 0, <c>temperature</c> 5; <see cref="EnasMethod.ReadSettings"/>).</summary>
public sealed record EnasOptions
{
    public const int DefaultHiddenUnits = 100, DefaultWeightSteps = 50, DefaultControllerSteps = 20, DefaultSamples = 10;
    public const double DefaultTanhConstant = 1.1, DefaultEntropyWeight = 1e-4, DefaultBaselineDecay = 0.99;

    /// <summary>The LSTM controller's hidden units.</summary>
    public int HiddenUnits { get; init; } = DefaultHiddenUnits;
    /// <summary>Shared-weight steps per phase; a controller phase follows each.</summary>
    public int WeightSteps { get; init; } = DefaultWeightSteps;
    /// <summary>Controller steps per phase.</summary>
    public int ControllerSteps { get; init; } = DefaultControllerSteps;
    /// <summary>c in logits = c * tanh(logits / temperature); 0: no tanh.</summary>
    public double TanhConstant { get; init; } = DefaultTanhConstant;
    public double EntropyWeight { get; init; } = DefaultEntropyWeight;
    /// <summary>The moving-average baseline keeps this part of itself per controller step.</summary>
    public double BaselineDecay { get; init; } = DefaultBaselineDecay;
    /// <summary>Architectures sampled from the policy at export, for the <c>derived</c> controller.</summary>
    public int Samples { get; init; } = DefaultSamples;

    public void Validate()
    {
        if (HiddenUnits < 1) throw new ArgumentException($"training.enas.hidden-units must be at least 1, got {HiddenUnits}.");
        if (WeightSteps < 1) throw new ArgumentException($"training.enas.weight-steps must be at least 1, got {WeightSteps}.");
        if (ControllerSteps < 1) throw new ArgumentException($"training.enas.controller-steps must be at least 1, got {ControllerSteps}.");
        if (!(TanhConstant >= 0)) throw new ArgumentException($"training.enas.tanh-constant must be >= 0, got {TanhConstant}.");
        if (!(EntropyWeight >= 0)) throw new ArgumentException($"training.enas.entropy-weight must be >= 0, got {EntropyWeight}.");
        if (!(BaselineDecay >= 0 && BaselineDecay < 1)) throw new ArgumentException($"training.enas.baseline-decay must be in [0, 1), got {BaselineDecay}.");
        if (Samples < 1) throw new ArgumentException($"training.enas.samples must be at least 1, got {Samples}.");
    }
}
