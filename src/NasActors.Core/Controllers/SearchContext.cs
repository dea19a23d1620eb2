using NasActors.Core.Costs;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers;

/// <summary>What every controller of one search needs: the space, the seed, the budget and the constraints.</summary>
public sealed record SearchContext
{
    public SearchContext(ISearchSpace space, long seed, int budget, Constraints? constraints = null, ICostModel? costs = null)
    {
        ArgumentNullException.ThrowIfNull(space);
        if (budget < 1) throw new ArgumentOutOfRangeException(nameof(budget), budget, "The budget must be at least one evaluation.");
        Space = space;
        Seed = seed;
        Budget = budget;
        Constraints = constraints ?? Constraints.None(space);
        if (!ReferenceEquals(Constraints.Space, space))
            throw new ArgumentException($"The constraints are for space '{Constraints.Space.Name}', the search is in '{space.Name}'.", nameof(constraints));
        Costs = costs ?? Constraints.Costs;
    }

    public ISearchSpace Space { get; }
    public long Seed { get; }
    /// <summary>Distinct evaluations the search may use (failed ones included).</summary>
    public int Budget { get; }
    public Constraints Constraints { get; }
    /// <summary>Costs for multi-objective controllers; the constraints' cost model unless given.</summary>
    public ICostModel? Costs { get; }
}
