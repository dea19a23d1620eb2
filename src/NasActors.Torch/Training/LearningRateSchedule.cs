namespace NasActors.Torch.Training;

public enum LearningRateDecay { Linear, Cosine }

/// <summary>
/// Learning rate as a pure function of the step: optional linear warm-up, then linear (SPOS) or cosine decay to
/// <see cref="MinimumRate"/> (0, or DARTS's 0.001) over the total steps. No scheduler object has state to save: the
/// step counter is the scheduler position.
/// </summary>
public sealed record LearningRateSchedule(double BaseRate, long TotalSteps, LearningRateDecay Decay, long WarmupSteps = 0,
    double MinimumRate = 0)
{
    public double At(long step)
    {
        if (TotalSteps <= 0) return BaseRate;
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        var span = Math.Max(1, TotalSteps - WarmupSteps);
        var t = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
        return Decay switch
        {
            // With a minimum of 0 these are exactly BaseRate * (...): x - 0 and 0 + x are exact.
            LearningRateDecay.Linear => MinimumRate + (BaseRate - MinimumRate) * (1 - t),
            _ => MinimumRate + (BaseRate - MinimumRate) * 0.5 * (1 + Math.Cos(Math.PI * t)),
        };
    }
}
