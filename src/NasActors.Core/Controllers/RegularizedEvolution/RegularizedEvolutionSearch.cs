using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.RegularizedEvolution;

/// <summary>
/// Settings of <c>regularized-evolution</c>: population P, tournament (sample) size S, and how many children are
/// proposed at a time (1 = the sequential algorithm; more lets several evaluators work at once).
/// </summary>
public sealed record RegularizedEvolutionSettings(int Population = 10, int SampleSize = 3, int Batch = 1, int MaxTries = 100)
{
    public static RegularizedEvolutionSettings Read(SettingsReader r)
    {
        var s = new RegularizedEvolutionSettings(
            r.Int("population", 10, min: 1),
            r.Int("sample_size", 3, min: 1),
            r.Int("batch", 1, min: 1),
            r.Int("max_tries", 100, min: 1));
        r.Require(s.SampleSize <= s.Population, "sample_size", $"{s.SampleSize} is larger than the population {s.Population}");
        return s;
    }
}

/// <summary>
/// Aging (regularized) evolution, Real et al. 2019: P random architectures form the population; then each child is
/// a one-decision mutation of the best of S members sampled uniformly, joins the population, and the oldest member
/// dies. A child that is infeasible or already proposed is redrawn from a new tournament.
/// </summary>
public sealed class RegularizedEvolutionSearch(SearchContext context, RegularizedEvolutionSettings settings)
    : BatchController(ControllerNames.RegularizedEvolution, context)
{
    private readonly AgingPopulation<Evaluation> _population = new(settings.Population);
    private int _initialProposed;

    public RegularizedEvolutionSettings Settings { get; } = settings;
    public IReadOnlyList<Evaluation> Population => _population.Members;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var picked = new List<Architecture>();
        var rng = Random("batch", batch);
        // Initial population: random, until P architectures were proposed (failures are not replaced).
        if (_initialProposed < Settings.Population)
        {
            var n = Math.Min(Settings.Population - _initialProposed, maxCount);
            FillWithNew(rng, picked, n);
            _initialProposed += picked.Count;
            if (picked.Count > 0) return picked;
        }
        var members = _population.Members;
        var size = Math.Min(Settings.Batch, maxCount);
        for (var tries = 0; members.Count > 0 && picked.Count < size && tries < Settings.MaxTries * size; tries++)
        {
            var parent = members[Tournament.Select(members, Settings.SampleSize, rng, Evaluation.CompareBestFirst)];
            var child = Mutation.OneDecision(parent.Architecture, Space, rng);
            if (IsNew(child, picked)) picked.Add(child);
        }
        // The neighbourhood of the population is used up: keep the budget working with random architectures.
        FillWithNew(rng, picked, size);
        return picked;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results)
    {
        foreach (var e in results)
            if (e.Succeeded) _population.Add(e);
    }
}
