using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Torch.Sampling;

/// <summary>
/// FairNAS strict fairness: each step draws, for every layer, a random permutation of its m choices; path i takes
/// the i-th entry of every permutation. Every choice of every layer is on exactly one of the m paths of a step.
/// </summary>
public sealed class FairPathSampler : IPathSampler
{
    private readonly ISearchSpace _space;
    private readonly long _seed;

    public FairPathSampler(ISearchSpace space, long seed)
    {
        if (space.ChoiceCounts.Distinct().Count() != 1)
            throw new ArgumentException($"Strict fairness needs the same number of choices in every layer; space '{space.Name}' has {string.Join(",", space.ChoiceCounts.Distinct())}.");
        _space = space;
        _seed = seed;
        PathsPerStep = space.ChoiceCounts[0];
    }

    public string Method => PathSamplers.FairNas;
    public int PathsPerStep { get; }

    public IReadOnlyList<Architecture> Sample(long step)
    {
        var rng = DeterministicRandom.For(_seed, "fairnas-path", step);
        var permutations = _space.ChoiceCounts.Select(m => rng.Permutation(m)).ToArray();
        return Enumerable.Range(0, PathsPerStep)
            .Select(i => new Architecture(permutations.Select(p => p[i])))
            .ToArray();
    }
}
