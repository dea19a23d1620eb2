using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Derived;

/// <summary>Settings of <c>derived</c>: how many architectures one batch hands out.</summary>
public sealed record DerivedArchitecturesSettings(int Batch = 8)
{
    public static DerivedArchitecturesSettings Read(SettingsReader r) => new(r.Int("batch", 8, min: 1));
}

/// <summary>
/// A controller that proposes from a distribution learned elsewhere (a differentiable training method's export):
/// it proposes nothing until <see cref="ProvideDistribution"/> hands the distribution in, then stays a pure function
/// of (context, settings, distribution, results).
/// </summary>
public interface IDistributionController : IController
{
    /// <summary>True until the distribution is given.</summary>
    bool WaitsForDistribution { get; }

    /// <summary>Why <paramref name="distribution"/> does not fit the search's space; null when it does.</summary>
    string? DistributionProblem(ArchitectureDistribution distribution);

    /// <summary>Hands in the distribution (once); the first batch is decided then.</summary>
    void ProvideDistribution(ArchitectureDistribution distribution);
}

/// <summary>
/// Not a search of its own: the architectures a differentiable method derived, for the evaluators. Batch 0 starts
/// with the argmax of the distribution, then come the next most probable architectures, in order of probability
/// (ties: lower choices first), <c>batch</c> at a time until the budget is spent. Architectures that violate the
/// constraints are skipped. Results teach it nothing: the order is fixed by the distribution. On a cell space
/// (<see cref="Spaces.Blocks.CellSpace"/>) the zero op is ruled out of every edge first (DARTS's discretisation).
/// </summary>
public sealed class DerivedArchitectures(SearchContext context, DerivedArchitecturesSettings settings)
    : BatchController(ControllerNames.Derived, context), IDistributionController
{
    private ArchitectureDistribution? _distribution;
    private IReadOnlyList<ProbableArchitecture> _ranked = [];
    private int _cursor;

    public DerivedArchitecturesSettings Settings { get; } = settings;

    /// <summary>The distribution proposals come from; null before it is given.</summary>
    public ArchitectureDistribution? Distribution => _distribution;

    public bool WaitsForDistribution => _distribution is null;

    protected override bool WaitsForInput(int batch) => _distribution is null;

    public string? DistributionProblem(ArchitectureDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        var counts = Space.ChoiceCounts;
        if (distribution.Probabilities.Count != counts.Count)
            return $"the distribution has {distribution.Probabilities.Count} decisions, space '{Space.Name}' has {counts.Count}";
        for (var i = 0; i < counts.Count; i++)
            if (distribution.Probabilities[i].Length != counts[i])
                return $"decision {i} of the distribution has {distribution.Probabilities[i].Length} choices, space '{Space.Name}' has {counts[i]}";
        return null;
    }

    public void ProvideDistribution(ArchitectureDistribution distribution)
    {
        if (DistributionProblem(distribution) is { } problem) throw new ArgumentException($"Controller '{Name}': {problem}.", nameof(distribution));
        if (_distribution is not null) throw new InvalidOperationException($"Controller '{Name}' was given its distribution already.");
        // On a cell space, DARTS's discretisation: no edge is derived as none.
        _distribution = Space is Spaces.Blocks.CellSpace ? Spaces.Blocks.CellSpace.Derivation(distribution) : distribution;
        if (IsWaiting) InputArrived();
    }

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var picked = new List<Architecture>();
        var size = Math.Min(Settings.Batch, maxCount);
        while (picked.Count < size && Next() is { } a)
            if (IsNew(a, picked)) picked.Add(a);
        return picked;
    }

    /// <summary>
    /// The next architecture in probability order; null when the space (or the enumeration limit) is exhausted. The
    /// ranking of the k most probable is exact and the same prefix for every k, so it is grown by doubling.
    /// </summary>
    private Architecture? Next()
    {
        if (_cursor == _ranked.Count)
        {
            var limit = Math.Min(Space.Size(), Constraints.EnumerationLimit);
            if (_ranked.Count >= limit) return null;
            var k = (int)Math.Min(limit, Math.Max(16, 2.0 * _ranked.Count));
            _ranked = _distribution!.MostProbable(k);
            if (_cursor == _ranked.Count) return null;
        }
        return _ranked[_cursor++].Architecture;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
