using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Ranking;

/// <summary>
/// K architectures spread over a space's FLOPs range: draw a pool of distinct random architectures, sort it by FLOPs,
/// cut it into K strata of (nearly) equal size, and take one architecture at random from each stratum. A pure
/// function of (space, K, seed), so a resumed study picks the same architectures.
/// </summary>
public static class FlopsStratifiedSample
{
    public const int PoolPerStratum = 50;

    /// <param name="feasible">Only architectures this accepts (constraints); K shrinks to the feasible ones when fewer.</param>
    public static IReadOnlyList<Architecture> Draw(ISearchSpace space, ICostModel costs, int k, long seed, Func<Architecture, bool>? feasible = null)
    {
        // K = 1 is a search with a budget of one (a ranking study asks for at least 2: MethodStudyOptions.Validate).
        if (k < 1) throw new ArgumentException($"A FLOPs-stratified sample needs at least 1 architecture, got K = {k}.");
        var size = space.Size();
        if (size < k) throw new ArgumentException($"Space '{space.Name}' holds only {size} architectures; K = {k} is too many.");
        var poolSize = (int)Math.Min(size, (double)k * PoolPerStratum);
        var rng = DeterministicRandom.For(seed, "rank-study/pool");
        var pool = new HashSet<Architecture>();
        // A pool of nearly the whole space cannot be filled by rejection quickly; enumerate small spaces instead.
        if (poolSize > size / 2) pool.UnionWith(feasible is null ? Enumerate(space) : Enumerate(space).Where(feasible));
        else
            for (long tries = 0; pool.Count < poolSize && tries < (long)poolSize * 1000; tries++)
            {
                var a = new Architecture(space.ChoiceCounts.Select(m => rng.NextInt(m)));
                if (feasible is null || feasible(a)) pool.Add(a);
            }
        k = Math.Min(k, pool.Count);
        var sorted = pool.Select(a => (Arch: a, Flops: costs.Cost(CostMetrics.Flops, a), Text: a.ToString()))
            .OrderBy(p => p.Flops).ThenBy(p => p.Text, StringComparer.Ordinal).ToArray();
        var picks = new List<Architecture>(k);
        for (var s = 0; s < k; s++)
        {
            var from = (int)((long)s * sorted.Length / k);
            var to = (int)((long)(s + 1) * sorted.Length / k);
            picks.Add(sorted[from + DeterministicRandom.For(seed, "rank-study/stratum", s).NextInt(to - from)].Arch);
        }
        return picks;
    }

    private static IEnumerable<Architecture> Enumerate(ISearchSpace space)
    {
        var counts = space.ChoiceCounts;
        var current = new int[counts.Count];
        while (true)
        {
            yield return new Architecture(current);
            var d = counts.Count - 1;
            while (d >= 0 && ++current[d] == counts[d]) current[d--] = 0;
            if (d < 0) yield break;
        }
    }
}
