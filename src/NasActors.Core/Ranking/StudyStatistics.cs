namespace NasActors.Core.Ranking;

/// <summary>The reference's own reproducibility: Kendall tau-b between the mean accuracies of two halves of the seeds.</summary>
/// <param name="Mean">Mean of tau over every split of the seeds into halves (sizes floor(n/2) and ceil(n/2)).</param>
public sealed record SeedHalfAgreement(double Mean, double Min, double Max, int Splits);

/// <summary>Statistics of a method study beyond <see cref="RankCorrelation"/>: tau among the best, seed halves, seed spread.</summary>
public static class StudyStatistics
{
    /// <summary>
    /// Kendall tau-b among the architectures whose truth is in the top <paramref name="fraction"/> (at least 2 of them,
    /// ceil(n * fraction) otherwise; ties at the cut are broken by position): one-shot rankings are known to be worst
    /// among the good architectures. NaN where undefined (all tied).
    /// </summary>
    public static double TopTau(IReadOnlyList<double> scores, IReadOnlyList<double> truth, double fraction = 0.2)
    {
        if (scores.Count != truth.Count) throw new ArgumentException($"Top tau needs paired lists; got {scores.Count} and {truth.Count} values.");
        if (fraction is <= 0 or > 1) throw new ArgumentException($"Top fraction must be in (0, 1], got {fraction}.");
        var take = TopCount(truth.Count, fraction);
        if (take < 2) return double.NaN;
        var top = Enumerable.Range(0, truth.Count).OrderByDescending(i => truth[i]).ThenBy(i => i).Take(take).ToArray();
        return RankCorrelation.KendallTauB(top.Select(i => scores[i]).ToArray(), top.Select(i => truth[i]).ToArray());
    }

    /// <summary>How many architectures the top <paramref name="fraction"/> of n is: ceil(n * fraction), at least 2 (when n allows).</summary>
    public static int TopCount(int n, double fraction) => Math.Min(n, Math.Max(2, (int)Math.Ceiling(n * fraction - 1e-9)));

    /// <summary>
    /// Tau-b between the per-architecture mean of one half of the seeds and that of the other, averaged over every split
    /// into halves of floor(n/2) and ceil(n/2) seeds (3 seeds: each seed against the mean of the other two).
    /// <paramref name="bySeed"/>[s][a] is seed s's accuracy of architecture a.
    /// </summary>
    public static SeedHalfAgreement SeedHalfTau(IReadOnlyList<IReadOnlyList<double>> bySeed)
    {
        var n = bySeed.Count;
        if (n < 2) throw new ArgumentException($"Seed halves need at least 2 seeds, got {n}.");
        var k = bySeed[0].Count;
        if (bySeed.Any(s => s.Count != k)) throw new ArgumentException("Every seed must hold the same architectures.");
        var half = n / 2;
        var taus = new List<double>();
        foreach (var first in Combinations(n, half))
        {
            // An even n lists each split twice (a half and its complement): count it once.
            if (n % 2 == 0 && !first.Contains(0)) continue;
            var second = Enumerable.Range(0, n).Except(first).ToArray();
            var a = Means(bySeed, first, k);
            var b = Means(bySeed, second, k);
            var tau = RankCorrelation.KendallTauB(a, b);
            if (!double.IsNaN(tau)) taus.Add(tau);
        }
        return taus.Count == 0
            ? new SeedHalfAgreement(double.NaN, double.NaN, double.NaN, 0)
            : new SeedHalfAgreement(taus.Average(), taus.Min(), taus.Max(), taus.Count);
    }

    /// <summary>Sample standard deviation (n - 1); 0 for a single value.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    private static double[] Means(IReadOnlyList<IReadOnlyList<double>> bySeed, IReadOnlyList<int> seeds, int k) =>
        Enumerable.Range(0, k).Select(a => seeds.Average(s => bySeed[s][a])).ToArray();

    private static IEnumerable<int[]> Combinations(int n, int size)
    {
        var current = new int[size];
        IEnumerable<int[]> From(int start, int depth)
        {
            if (depth == size) { yield return (int[])current.Clone(); yield break; }
            for (var i = start; i <= n - (size - depth); i++)
            {
                current[depth] = i;
                foreach (var c in From(i + 1, depth + 1)) yield return c;
            }
        }
        return From(0, 0);
    }
}
