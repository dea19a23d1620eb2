namespace NasActors.Torch.Methods.Smash;

/// <summary>SMASH's settings (spec keys <c>training.smash.*</c>).</summary>
public sealed record SmashOptions
{
    public const int DefaultHiddenUnits = 32;

    /// <summary>Width of the hypernetwork's hidden layer.</summary>
    public int HiddenUnits { get; init; } = DefaultHiddenUnits;

    public void Validate()
    {
        if (HiddenUnits < 1) throw new ArgumentException($"training.smash.hidden-units must be at least 1, got {HiddenUnits}.");
    }
}
