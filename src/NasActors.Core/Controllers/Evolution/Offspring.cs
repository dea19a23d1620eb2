using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Evolution;

/// <summary>
/// What an evolutionary generation needs from a mutator: the parents, what may not be proposed again, and how many
/// children of each kind. The children are a pure function of the request and the search (seed, space, constraints):
/// see <see cref="EvolutionOffspring.Produce"/>.
/// </summary>
public sealed record OffspringRequest(int Batch, IReadOnlyList<Architecture> Parents, IReadOnlyList<Architecture> Exclude,
    int MutationChildren, int CrossoverChildren, double MutationProbability, int MaxTries, int Limit);

/// <summary>
/// A controller whose children can be produced elsewhere (by a pool of mutator actors): once
/// <see cref="DelegateOffspring"/> is called, a generation that needs children waits (<see cref="Propose"/> gives
/// nothing, the controller is not done) until <see cref="ProvideOffspring"/> hands them in. The children must be
/// those of <see cref="EvolutionOffspring.Produce"/> for the request, so a delegated search proposes exactly what
/// the same controller proposes on its own.
/// </summary>
public interface IOffspringController : IController
{
    /// <summary>The search the children are for (what <see cref="EvolutionOffspring.Produce"/> needs besides the request).</summary>
    SearchContext Context { get; }

    /// <summary>From now on the controller asks for children instead of producing them; only before the first proposal.</summary>
    void DelegateOffspring();

    /// <summary>The request the controller waits on; null when it waits for none.</summary>
    OffspringRequest? OffspringWanted { get; }

    /// <summary>Why these children cannot be the offspring of <paramref name="batch"/>; null when they can.</summary>
    string? OffspringProblem(int batch, IReadOnlyList<Architecture> children);

    /// <summary>Hands in the children of the waiting batch; the batch is then decided (children, then random ones).</summary>
    void ProvideOffspring(int batch, IReadOnlyList<Architecture> children);
}

/// <summary>The children of an evolutionary generation, as a pure function: the controller and every mutator use this.</summary>
public static class EvolutionOffspring
{
    /// <summary>
    /// Mutation children of random parents (each decision changes with the mutation probability), then uniform
    /// crossover children of two distinct parents; each child feasible, new (not excluded) and distinct, at most
    /// <see cref="OffspringRequest.Limit"/>. Draws come from the search seed and the batch.
    /// </summary>
    public static IReadOnlyList<Architecture> Produce(OffspringRequest r, SearchContext context)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(context);
        foreach (var p in r.Parents) context.Space.Validate(p);
        var taken = new HashSet<Architecture>(r.Exclude);
        var children = new List<Architecture>();
        EvolutionChildren.Produce(r.Parents, context.Space, r.MutationProbability, r.MutationChildren, r.CrossoverChildren,
            r.MaxTries, r.Limit, Random(context, "mutation", r.Batch), Random(context, "crossover", r.Batch), child =>
            {
                if (!context.Constraints.IsSatisfied(child) || !taken.Add(child)) return false;
                children.Add(child);
                return true;
            });
        return children;
    }

    /// <summary>The generator of the evolution controller for one purpose at one batch.</summary>
    internal static DeterministicRandom Random(SearchContext context, string purpose, int batch) =>
        DeterministicRandom.For(context.Seed, ControllerNames.Evolution + "/" + purpose, batch);
}
