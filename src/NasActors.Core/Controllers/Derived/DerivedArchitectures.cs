using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Derived;

/// <summary>Settings of <c>derived</c>: how many architectures one batch hands out.</summary>
public sealed record DerivedArchitecturesSettings(int Batch = 8)
{
    public static DerivedArchitecturesSettings Read(SettingsReader r) => new(r.Int("batch", 8, min: 1));
}

/// <summary>
/// A controller that proposes from what a training method learned elsewhere: its distribution (a differentiable
/// method's export) and/or the architectures it derived (ENAS's policy samples, Single-Path NAS's thresholds). It
/// proposes nothing until <see cref="Provide"/> hands them in, then stays a pure function of (context, settings,
/// input, results).
/// </summary>
public interface IDistributionController : IController
{
    /// <summary>True until the input is given.</summary>
    bool WaitsForDistribution { get; }

    /// <summary>Why <paramref name="distribution"/> does not fit the search's space; null when it does.</summary>
    string? DistributionProblem(ArchitectureDistribution distribution);

    /// <summary>Why the input does not fit the search's space (or is empty); null when it does.</summary>
    string? InputProblem(ArchitectureDistribution? distribution, IReadOnlyList<Architecture> derived);

    /// <summary>Hands in the input (once): a distribution, derived architectures, or both; the first batch is decided then.</summary>
    void Provide(ArchitectureDistribution? distribution, IReadOnlyList<Architecture> derived);

    /// <summary>Hands in a distribution alone.</summary>
    void ProvideDistribution(ArchitectureDistribution distribution);
}

/// <summary>
/// Not a search of its own: the architectures a training method derived, for the evaluators. First the method's own
/// derived architectures in its order (ENAS: its policy's samples; Single-Path NAS: the thresholds' architecture), then,
/// when it learned a distribution, its argmax and the next most probable architectures in order of probability (ties:
/// lower choices first), <c>batch</c> at a time until the budget or the input is spent. Architectures that violate the
/// constraints or were proposed already are skipped. Results teach it nothing: the order is fixed by the input.
/// On a cell space (<see cref="Spaces.Blocks.CellSpace"/>) the zero op is ruled out of every edge of the
/// distribution first (DARTS's discretisation).
/// </summary>
public sealed class DerivedArchitectures(SearchContext context, DerivedArchitecturesSettings settings)
    : BatchController(ControllerNames.Derived, context), IDistributionController
{
    private ArchitectureDistribution? _distribution;
    private IReadOnlyList<Architecture> _derived = [];
    private int _derivedCursor;
    private bool _provided;
    private IReadOnlyList<ProbableArchitecture> _ranked = [];
    private int _cursor;

    public DerivedArchitecturesSettings Settings { get; } = settings;

    /// <summary>The distribution proposals come from; null before it is given, or when the method learned none.</summary>
    public ArchitectureDistribution? Distribution => _distribution;

    /// <summary>The method's derived architectures, proposed first.</summary>
    public IReadOnlyList<Architecture> DerivedInput => _derived;

    public bool WaitsForDistribution => !_provided;

    protected override bool WaitsForInput(int batch) => !_provided;

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

    public string? InputProblem(ArchitectureDistribution? distribution, IReadOnlyList<Architecture> derived)
    {
        ArgumentNullException.ThrowIfNull(derived);
        if (distribution is null && derived.Count == 0) return "neither a distribution nor derived architectures were given";
        if (distribution is not null && DistributionProblem(distribution) is { } problem) return problem;
        foreach (var a in derived)
            if (!Space.Contains(a)) return $"derived architecture {a} is not an architecture of space '{Space.Name}'";
        return null;
    }

    public void Provide(ArchitectureDistribution? distribution, IReadOnlyList<Architecture> derived)
    {
        if (InputProblem(distribution, derived) is { } problem) throw new ArgumentException($"Controller '{Name}': {problem}.", nameof(distribution));
        if (_provided) throw new InvalidOperationException($"Controller '{Name}' was given its input already.");
        // On a cell space, DARTS's discretisation: no edge is derived as none.
        _distribution = distribution is not null && Space is Spaces.Blocks.CellSpace ? Spaces.Blocks.CellSpace.Derivation(distribution) : distribution;
        _derived = derived.ToArray();
        _provided = true;
        if (IsWaiting) InputArrived();
    }

    public void ProvideDistribution(ArchitectureDistribution distribution)
    {
        ArgumentNullException.ThrowIfNull(distribution);
        Provide(distribution, []);
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
    /// The next derived architecture, then the next in probability order; null when both are exhausted (the space or
    /// the enumeration limit, for the distribution). The
    /// ranking of the k most probable is exact and the same prefix for every k, so it is grown by doubling.
    /// </summary>
    private Architecture? Next()
    {
        if (_derivedCursor < _derived.Count) return _derived[_derivedCursor++];
        if (_distribution is null) return null;
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
