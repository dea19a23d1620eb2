namespace NasActors.Torch.Methods.OneShot;

/// <summary>One-Shot's settings (spec keys <c>training.oneshot.*</c>).</summary>
public sealed record OneShotOptions
{
    public const double DefaultDropPathRate = 0.1;
    public const int DefaultGhostBatchSize = 32;

    /// <summary>r: the path-dropout rate reached at the end of training (it grows linearly from 0); the probability
    /// that every op of a layer would be dropped for an example.</summary>
    public double DropPathRate { get; init; } = DefaultDropPathRate;

    /// <summary>Examples per ghost batch of the BatchNorms (0: the whole batch).</summary>
    public int GhostBatchSize { get; init; } = DefaultGhostBatchSize;

    public void Validate()
    {
        if (!(DropPathRate >= 0 && DropPathRate < 1)) throw new ArgumentException($"training.oneshot.drop-path-rate must be in [0, 1), got {DropPathRate}.");
        if (GhostBatchSize < 0) throw new ArgumentException($"training.oneshot.ghost-batch-size must be >= 0, got {GhostBatchSize}.");
    }
}
