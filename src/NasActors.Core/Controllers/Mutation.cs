using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers;

/// <summary>Mutation operators. A mutated decision always takes a different choice, so a mutation is never a silent copy.</summary>
public static class Mutation
{
    /// <summary>Each decision (with more than one choice) changes with probability <paramref name="probability"/> (SPOS mutation).</summary>
    public static Architecture PerDecision(Architecture parent, ISearchSpace space, double probability, DeterministicRandom rng)
    {
        var choices = parent.ToArray();
        for (var i = 0; i < choices.Length; i++)
        {
            var m = space.ChoiceCounts[i];
            if (m > 1 && rng.NextDouble() < probability) choices[i] = OtherChoice(choices[i], m, rng);
        }
        return new Architecture(choices);
    }

    /// <summary>Exactly one decision, chosen uniformly among those with more than one choice, changes (aging-evolution mutation).</summary>
    public static Architecture OneDecision(Architecture parent, ISearchSpace space, DeterministicRandom rng)
    {
        var mutable = Enumerable.Range(0, parent.Count).Where(i => space.ChoiceCounts[i] > 1).ToArray();
        if (mutable.Length == 0) return parent;
        var d = mutable[rng.NextInt(mutable.Length)];
        return parent.With(d, OtherChoice(parent[d], space.ChoiceCounts[d], rng));
    }

    /// <summary>Every architecture at Hamming distance one.</summary>
    public static IEnumerable<Architecture> Neighbours(Architecture a, ISearchSpace space)
    {
        for (var d = 0; d < a.Count; d++)
            for (var c = 0; c < space.ChoiceCounts[d]; c++)
                if (c != a[d]) yield return a.With(d, c);
    }

    /// <summary>A uniformly random choice of <c>0..m-1</c> other than <paramref name="current"/>.</summary>
    public static int OtherChoice(int current, int m, DeterministicRandom rng)
    {
        var c = rng.NextInt(m - 1);
        return c >= current ? c + 1 : c;
    }
}

/// <summary>Crossover operators.</summary>
public static class Crossover
{
    /// <summary>Uniform crossover: each decision from either parent with probability one half.</summary>
    public static Architecture Uniform(Architecture a, Architecture b, DeterministicRandom rng)
    {
        if (a.Count != b.Count) throw new ArgumentException("Parents of different lengths.", nameof(b));
        var choices = new int[a.Count];
        for (var i = 0; i < choices.Length; i++) choices[i] = rng.NextDouble() < 0.5 ? a[i] : b[i];
        return new Architecture(choices);
    }
}

/// <summary>
/// The children of one SPOS evolution generation: mutation children of random parents, then uniform-crossover
/// children of two distinct parents. A child counts only when <c>accept</c> takes it (feasible and new, by the
/// caller's rules); each kind stops at its count, at <c>limit</c> children in all, or after <c>maxTries</c> draws.
/// Used by the evolution controller and by mutator actors, so both produce the same children from the same draws.
/// </summary>
public static class EvolutionChildren
{
    public static int Produce(IReadOnlyList<Architecture> parents, ISearchSpace space, double mutationProbability,
        int mutationChildren, int crossoverChildren, int maxTries, int limit,
        DeterministicRandom mutation, DeterministicRandom crossover, Func<Architecture, bool> accept)
    {
        var mutated = 0;
        for (var tries = 0; parents.Count > 0 && mutated < Math.Min(mutationChildren, limit) && tries < maxTries; tries++)
            if (accept(Mutation.PerDecision(parents[mutation.NextInt(parents.Count)], space, mutationProbability, mutation))) mutated++;
        var crossed = 0;
        for (var tries = 0; parents.Count > 1 && crossed < Math.Min(crossoverChildren, limit - mutated) && tries < maxTries; tries++)
        {
            var i = crossover.NextInt(parents.Count);
            var j = Mutation.OtherChoice(i, parents.Count, crossover);
            if (accept(Crossover.Uniform(parents[i], parents[j], crossover))) crossed++;
        }
        return mutated + crossed;
    }
}

/// <summary>Tournament selection.</summary>
public static class Tournament
{
    /// <summary>
    /// Samples <paramref name="size"/> distinct members uniformly (all when there are fewer) and returns the index of
    /// the best one: the smallest under <paramref name="compare"/> (best-first order), ties to the earlier index.
    /// </summary>
    public static int Select<T>(IReadOnlyList<T> population, int size, DeterministicRandom rng, Comparison<T> compare)
    {
        if (population.Count == 0) throw new ArgumentException("Tournament on an empty population.", nameof(population));
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "A tournament needs at least one member.");
        var k = Math.Min(size, population.Count);
        // Partial Fisher-Yates: the first k entries are a uniform sample without replacement.
        var idx = new int[population.Count];
        for (var i = 0; i < idx.Length; i++) idx[i] = i;
        var best = -1;
        for (var i = 0; i < k; i++)
        {
            var j = i + rng.NextInt(idx.Length - i);
            (idx[i], idx[j]) = (idx[j], idx[i]);
            var cand = idx[i];
            if (best < 0) { best = cand; continue; }
            var c = compare(population[cand], population[best]);
            if (c < 0 || (c == 0 && cand < best)) best = cand;
        }
        return best;
    }
}

/// <summary>A population of fixed capacity where the oldest member dies when a new one is added (aging / regularized evolution).</summary>
public sealed class AgingPopulation<T>(int capacity)
{
    private readonly Queue<T> _members = new();

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));
    public int Count => _members.Count;

    /// <summary>Members from the oldest to the youngest.</summary>
    public IReadOnlyList<T> Members => _members.ToArray();

    /// <summary>Adds a member; returns the one that died to make room, if any.</summary>
    public T? Add(T member)
    {
        _members.Enqueue(member);
        return _members.Count > Capacity ? _members.Dequeue() : default;
    }
}

/// <summary>
/// The REINFORCE baseline: an exponential moving average of rewards, <c>b = decay * b + (1 - decay) * r</c>, started
/// at the first reward. Also tracks the moving variance, to scale advantages independently of the reward's units.
/// </summary>
public sealed class MovingAverageBaseline(double decay)
{
    public double Decay { get; } = decay is >= 0 and < 1 ? decay : throw new ArgumentOutOfRangeException(nameof(decay), decay, "The decay must be in [0, 1).");
    public double Value { get; private set; }
    public double Variance { get; private set; }
    public int Count { get; private set; }

    /// <summary>The advantage of <paramref name="reward"/> against the baseline before the update, then the update.</summary>
    public double Update(double reward)
    {
        if (Count == 0)
        {
            Value = reward; Count = 1;
            return 0;
        }
        var advantage = reward - Value;
        Value = Decay * Value + (1 - Decay) * reward;
        Variance = Decay * Variance + (1 - Decay) * advantage * advantage;
        Count++;
        return advantage;
    }
}
