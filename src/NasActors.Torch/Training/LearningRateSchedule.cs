namespace NasActors.Torch.Training;

public enum LearningRateDecay { Linear, Cosine }

/// <summary>
/// Learning rate as a pure function of the step: optional linear warm-up, then linear (SPOS) or cosine decay to zero
/// over the total steps. No scheduler object has state to save: the step counter is the scheduler position.
/// </summary>
public sealed record LearningRateSchedule(double BaseRate, long TotalSteps, LearningRateDecay Decay, long WarmupSteps = 0)
{
    public double At(long step)
    {
        if (TotalSteps <= 0) return BaseRate;
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        var span = Math.Max(1, TotalSteps - WarmupSteps);
        var t = Math.Clamp((double)(step - WarmupSteps) / span, 0, 1);
        return Decay switch
        {
            LearningRateDecay.Linear => BaseRate * (1 - t),
            _ => BaseRate * 0.5 * (1 + Math.Cos(Math.PI * t)),
        };
    }
}
