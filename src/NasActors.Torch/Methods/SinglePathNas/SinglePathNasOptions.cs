namespace NasActors.Torch.Methods.SinglePathNas;

/// <summary>Single-Path NAS's settings (spec keys <c>training.single-path.*</c>); the thresholds' Adam, the runtime
/// weight lambda (<c>latency-lambda</c>) and the first phase's length (<c>warmup-steps</c>) are under <c>training.architecture</c>.</summary>
public sealed record SinglePathNasOptions
{
    public const double DefaultIndicatorDropout = 0.2;

    /// <summary>In the first phase, the probability that an indicator is set to 0 for a step (so smaller kernels and
    /// the narrower expansion train on their own too).</summary>
    public double IndicatorDropout { get; init; } = DefaultIndicatorDropout;

    public void Validate()
    {
        if (!(IndicatorDropout >= 0 && IndicatorDropout < 1))
            throw new ArgumentException($"training.single-path.indicator-dropout must be in [0, 1), got {IndicatorDropout}.");
    }
}
