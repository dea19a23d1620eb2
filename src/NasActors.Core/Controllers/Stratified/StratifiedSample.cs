using System.Globalization;
using NasActors.Core.Ranking;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Stratified;

/// <summary>
/// Settings of <c>stratified</c>: how many architectures (K; at most the budget); <c>sample-seed</c>, the seed of the
/// sample when it must not follow the search seed (a study's stand-alone seeds train the same K architectures);
/// <c>architectures</c>, a given list (comma-separated choice strings) instead of a drawn sample (a study's derived
/// architectures, trained stand-alone).
/// </summary>
public sealed record StratifiedSampleSettings(int Count = 12, long? SampleSeed = null, IReadOnlyList<string>? Architectures = null)
{
    public static StratifiedSampleSettings Read(SettingsReader r)
    {
        var count = r.Int("count", 12, min: 1);
        var seedText = r.String("sample-seed", "");
        long? seed = null;
        if (seedText.Length > 0)
            seed = long.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s >= 0
                ? s
                : throw new ControllerSettingsException(ControllerNames.Stratified, "sample-seed", $"'{seedText}' is not a non-negative integer");
        var listText = r.String("architectures", "");
        IReadOnlyList<string>? list = listText.Length == 0
            ? null
            : listText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        // K = 1 only for a given list (one derived architecture); a drawn sample needs 2 to rank anything.
        r.Require(list is not null || count >= 2, "count", $"{count}: must be at least 2");
        return new(count, seed, list);
    }
}

/// <summary>
/// Not a search: one batch of K architectures spread over the space's FLOPs range (<see cref="FlopsStratifiedSample"/>,
/// from the search seed or <c>sample-seed</c>), or the given <c>architectures</c>, then done. A ranking study evaluates
/// the same K architectures in several searches (stand-alone training with several seeds, each supernet) and compares
/// the rankings. Only architectures that satisfy the constraints are drawn.
/// </summary>
public sealed class StratifiedSample(SearchContext context, StratifiedSampleSettings settings) : BatchController(ControllerNames.Stratified, context)
{
    public StratifiedSampleSettings Settings { get; } = settings;

    protected override bool ScheduleFinished(int nextBatch) => nextBatch > 0;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        if (Settings.Architectures is { } given)
            return given.Take(maxCount).Select(text => Space.Validate(Architecture.ParseChoiceString(text))).Distinct().ToArray();
        var costs = Context.Costs ?? throw new InvalidOperationException(
            $"Controller '{Name}' needs a cost model with FLOPs; space '{Space.Name}' has none.");
        return FlopsStratifiedSample.Draw(Space, costs, Math.Min(Settings.Count, maxCount), Settings.SampleSeed ?? Context.Seed, Constraints.IsSatisfied);
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
