using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Random;

/// <summary>Settings of <c>random</c>. <see cref="Batch"/>: architectures proposed at a time.</summary>
public sealed record RandomSearchSettings(int Batch = 10)
{
    public static RandomSearchSettings Read(SettingsReader r) => new(r.Int("batch", 10, min: 1));
}

/// <summary>Uniform sampling of new feasible architectures: the baseline every other controller must beat.</summary>
public sealed class RandomSearch(SearchContext context, RandomSearchSettings settings) : BatchController(ControllerNames.Random, context)
{
    public RandomSearchSettings Settings { get; } = settings;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var rng = Random("sample", batch);
        var picked = new List<Architecture>();
        FillWithNew(rng, picked, Math.Min(Settings.Batch, maxCount));
        return picked;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
