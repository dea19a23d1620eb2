namespace NasActors.Torch.Methods.SinglePathNas;

/// <summary>Single-Path NAS's settings (spec keys <c>training.spnas.*</c>); beside them in that block: the thresholds'
/// Adam (<c>arch-learning-rate</c>, <c>arch-beta1</c>, <c>arch-beta2</c>, <c>arch-weight-decay</c>), the runtime weight
/// lambda (<c>latency-lambda</c>) and the first phase's length (<c>arch-warmup-steps</c>).</summary>
public sealed record SinglePathNasOptions
{
    public const double DefaultIndicatorDropout = 0.2;

    /// <summary>In the first phase, the probability that an indicator is set to 0 for a step (so smaller kernels and
    /// the narrower expansion train on their own too).</summary>
    public double IndicatorDropout { get; init; } = DefaultIndicatorDropout;

    public void Validate()
    {
        if (!(IndicatorDropout >= 0 && IndicatorDropout < 1))
            throw new ArgumentException($"training.spnas.indicator-dropout must be in [0, 1), got {IndicatorDropout}.");
    }
}
