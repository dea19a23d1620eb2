using NasActors.Core.Ranking;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Stratified;

/// <summary>Settings of <c>stratified</c>: how many architectures (K; at most the budget).</summary>
public sealed record StratifiedSampleSettings(int Count = 12)
{
    public static StratifiedSampleSettings Read(SettingsReader r) => new(r.Int("count", 12, min: 2));
}

/// <summary>
/// Not a search: one batch of K architectures spread over the space's FLOPs range (<see cref="FlopsStratifiedSample"/>,
/// from the search seed), then done. A ranking study evaluates the same K architectures in several searches (stand-alone
/// training, each supernet) and compares the rankings. Only architectures that satisfy the constraints are drawn.
/// </summary>
public sealed class StratifiedSample(SearchContext context, StratifiedSampleSettings settings) : BatchController(ControllerNames.Stratified, context)
{
    public StratifiedSampleSettings Settings { get; } = settings;

    protected override bool ScheduleFinished(int nextBatch) => nextBatch > 0;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var costs = Context.Costs ?? throw new InvalidOperationException(
            $"Controller '{Name}' needs a cost model with FLOPs; space '{Space.Name}' has none.");
        return FlopsStratifiedSample.Draw(Space, costs, Math.Min(Settings.Count, maxCount), Context.Seed, Constraints.IsSatisfied);
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
