using NasActors.Core.Determinism;

namespace NasActors.Core.Ranking;

/// <summary>A statistic with its percentile-bootstrap confidence interval.</summary>
/// <param name="Valid">Resamples where the statistic was defined (a resample of tied values has no rank correlation).</param>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, double Level, int Resamples, int Valid);

/// <summary>
/// Paired percentile bootstrap: resample the n (x, y) pairs with replacement, recompute the statistic, take the
/// (1 - level)/2 and (1 + level)/2 quantiles. Every resample is drawn from a generator seeded by (seed, resample
/// index), so an interval is a pure function of the data, the seed and the number of resamples.
/// </summary>
public static class Bootstrap
{
    public static ConfidenceInterval Paired(IReadOnlyList<double> x, IReadOnlyList<double> y,
        Func<IReadOnlyList<double>, IReadOnlyList<double>, double> statistic, int resamples, double level, long seed) =>
        Paired(x, y, statistic, Resamples(x.Count, resamples, seed), level);

    /// <summary>The same with given resamples (index lists): what the hand-computed tests use.</summary>
    public static ConfidenceInterval Paired(IReadOnlyList<double> x, IReadOnlyList<double> y,
        Func<IReadOnlyList<double>, IReadOnlyList<double>, double> statistic, IEnumerable<int[]> resamples, double level)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Bootstrap needs paired lists; got {x.Count} and {y.Count} values.");
        if (level is <= 0 or >= 1) throw new ArgumentException($"Confidence level must be in (0, 1), got {level}.");
        var values = new List<double>();
        var count = 0;
        foreach (var indices in resamples)
        {
            count++;
            var value = statistic(indices.Select(i => x[i]).ToArray(), indices.Select(i => y[i]).ToArray());
            if (!double.IsNaN(value)) values.Add(value);
        }
        if (count < 1) throw new ArgumentException("Bootstrap needs at least one resample.");
        values.Sort();
        var estimate = statistic(x, y);
        return values.Count == 0
            ? new ConfidenceInterval(estimate, double.NaN, double.NaN, level, count, 0)
            : new ConfidenceInterval(estimate, Quantile(values, (1 - level) / 2), Quantile(values, (1 + level) / 2), level, count, values.Count);
    }

    /// <summary><paramref name="count"/> lists of n indices drawn with replacement, each from its own seeded generator.</summary>
    public static IEnumerable<int[]> Resamples(int n, int count, long seed)
    {
        if (n < 1) throw new ArgumentException("Bootstrap needs at least one pair.");
        if (count < 1) throw new ArgumentException($"Bootstrap needs at least one resample, got {count}.");
        for (var r = 0; r < count; r++)
        {
            var rng = DeterministicRandom.For(seed, "bootstrap", r);
            var indices = new int[n];
            for (var i = 0; i < n; i++) indices[i] = rng.NextInt(n);
            yield return indices;
        }
    }

    /// <summary>Quantile of sorted values with linear interpolation between order statistics (R's type 7).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) throw new ArgumentException("Quantile of no values.");
        if (p is < 0 or > 1) throw new ArgumentException($"Quantile level must be in [0, 1], got {p}.");
        var h = (sorted.Count - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
