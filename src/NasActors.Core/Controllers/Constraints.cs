using System.Globalization;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers;

/// <summary>An upper bound on one cost metric (FLOPs, params, latency, a table column).</summary>
public sealed record CostConstraint(string Metric, double Max)
{
    /// <summary>Parses <c>metric=value</c>, e.g. <c>latency=12.5</c>.</summary>
    public static CostConstraint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            throw new FormatException($"Constraint '{text}' is not of the form metric=value.");
        var metric = text[..eq].Trim();
        var value = text[(eq + 1)..].Trim();
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var max) || !double.IsFinite(max))
            throw new FormatException($"Constraint '{text}': '{value}' is not a number.");
        return new CostConstraint(metric, max);
    }

    public override string ToString() => $"{Metric} <= {Max.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A constraint set that no architecture of the space satisfies; raised before a search starts.</summary>
public sealed class UnsatisfiableConstraintsException(string message) : InvalidOperationException(message);

/// <summary>
/// Which architectures a search may propose: those of the space (restricted to a domain when one is given, e.g. the
/// rows of a benchmark table) whose costs are within every limit. Any combination of limits is allowed.
/// </summary>
public sealed class Constraints
{
    /// <summary>Spaces up to this size are enumerated: exact satisfiability check and draws from the feasible set.</summary>
    public const int EnumerationLimit = 1 << 18;

    private readonly HashSet<Architecture>? _domainSet;
    private readonly IReadOnlyList<Architecture>? _domain;
    private readonly Lazy<Architecture[]?> _feasible;

    public Constraints(ISearchSpace space, ICostModel? costs, IEnumerable<CostConstraint> limits, IReadOnlyList<Architecture>? domain = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        Space = space;
        Costs = costs;
        Limits = limits.ToArray();
        if (Limits.Count > 0 && costs is null)
            throw new ArgumentException($"Constraints {string.Join(", ", Limits)} need a cost model.", nameof(costs));
        foreach (var l in Limits)
        {
            if (!costs!.Metrics.Contains(l.Metric, StringComparer.OrdinalIgnoreCase))
                throw new KeyNotFoundException($"Constraint '{l}': no cost metric '{l.Metric}' (known: {string.Join(", ", costs.Metrics)}).");
            if (!double.IsFinite(l.Max)) throw new ArgumentException($"Constraint '{l}' needs a finite limit.", nameof(limits));
        }
        if (domain is not null)
        {
            foreach (var a in domain) space.Validate(a);
            _domain = domain;
            _domainSet = new HashSet<Architecture>(domain);
        }
        _feasible = new Lazy<Architecture[]?>(EnumerateFeasible, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public static Constraints None(ISearchSpace space) => new(space, null, []);

    public ISearchSpace Space { get; }
    public ICostModel? Costs { get; }
    public IReadOnlyList<CostConstraint> Limits { get; }

    public bool IsSatisfied(Architecture architecture) => Violation(architecture) is null;

    /// <summary>Why the architecture may not be proposed, or null when it may.</summary>
    public string? Violation(Architecture architecture)
    {
        if (!Space.Contains(architecture)) return $"'{architecture}' is not an architecture of space '{Space.Name}'";
        if (_domainSet is not null && !_domainSet.Contains(architecture)) return $"'{Space.Format(architecture)}' is not in the table";
        foreach (var l in Limits)
        {
            var cost = Costs!.Cost(l.Metric, architecture);
            if (!(cost <= l.Max)) return $"'{Space.Format(architecture)}' has {l.Metric} {cost.ToString(CultureInfo.InvariantCulture)} > {l.Max.ToString(CultureInfo.InvariantCulture)}";
        }
        return null;
    }

    /// <summary>Every feasible architecture, in a fixed order, when the space (or domain) is small enough to list; else null.</summary>
    public IReadOnlyList<Architecture>? FeasibleSet => _feasible.Value;

    /// <summary>Throws <see cref="UnsatisfiableConstraintsException"/> when no architecture satisfies the constraints.</summary>
    public void EnsureSatisfiable()
    {
        var feasible = FeasibleSet;
        if (feasible is not null)
        {
            if (feasible.Count == 0)
                throw new UnsatisfiableConstraintsException(
                    $"No architecture of space '{Space.Name}'{(_domain is null ? "" : " in the table")} satisfies {Describe()}." + Minima());
            return;
        }
        // Too large to list: each limit must be reachable on its own (a combination is not proven jointly).
        foreach (var l in Limits)
        {
            var min = Costs!.Minimum(l.Metric);
            if (min > l.Max)
                throw new UnsatisfiableConstraintsException(
                    $"No architecture of space '{Space.Name}' satisfies {l}: the smallest {l.Metric} is {min.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private string Describe() => Limits.Count == 0 ? "the space" : string.Join(" and ", Limits);

    private string Minima() => Limits.Count == 0 ? "" :
        " Smallest costs: " + string.Join(", ", Limits.Select(l => $"{l.Metric} {Costs!.Minimum(l.Metric).ToString(CultureInfo.InvariantCulture)}")) + ".";

    /// <summary>
    /// A uniformly random feasible architecture not in <paramref name="exclude"/>, or null when none is left
    /// (or none was found in a large space after many tries).
    /// </summary>
    public Architecture? DrawUniform(DeterministicRandom rng, Func<Architecture, bool> exclude, int tries = 200)
    {
        var feasible = FeasibleSet;
        for (var t = 0; t < tries; t++)
        {
            var a = feasible is not null ? feasible[rng.NextInt(feasible.Count)] : DrawFromSpace(rng);
            if (feasible is null && !IsSatisfied(a)) continue;
            if (!exclude(a)) return a;
        }
        if (feasible is null) return null;
        // Nearly exhausted: choose among what is left.
        var left = feasible.Where(a => !exclude(a)).ToArray();
        return left.Length == 0 ? null : left[rng.NextInt(left.Length)];
    }

    private Architecture DrawFromSpace(DeterministicRandom rng)
    {
        var counts = Space.ChoiceCounts;
        var choices = new int[counts.Count];
        for (var i = 0; i < choices.Length; i++) choices[i] = rng.NextInt(counts[i]);
        return new Architecture(choices);
    }

    private Architecture[]? EnumerateFeasible()
    {
        if (_domain is not null) return _domain.Where(IsSatisfied).ToArray();
        if (Space.Size() > EnumerationLimit) return null;
        var counts = Space.ChoiceCounts;
        var result = new List<Architecture>();
        var choices = new int[counts.Count];
        while (true)
        {
            var a = new Architecture(choices);
            if (IsSatisfied(a)) result.Add(a);
            var i = counts.Count - 1;
            while (i >= 0 && ++choices[i] == counts[i]) { choices[i] = 0; i--; }
            if (i < 0) break;
        }
        return result.ToArray();
    }
}
