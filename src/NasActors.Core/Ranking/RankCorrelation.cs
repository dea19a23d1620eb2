namespace NasActors.Core.Ranking;

/// <summary>
/// Rank correlations between two paired lists of scores (e.g. one-shot accuracy against stand-alone accuracy of the
/// same architectures). Both handle ties the standard way: Kendall's tau-b corrects for tied pairs, Spearman's rho is
/// the Pearson correlation of average ranks. Undefined cases (fewer than two items, a constant list) give NaN.
/// </summary>
public static class RankCorrelation
{
    /// <summary>Kendall's tau-b: (C - D) / sqrt((P - Tx)(P - Ty)), P all pairs, Tx/Ty pairs tied in x/y.</summary>
    public static double KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        long concordant = 0, discordant = 0, tiedX = 0, tiedY = 0, pairs = 0;
        for (var i = 0; i < x.Count; i++)
        for (var j = i + 1; j < x.Count; j++)
        {
            pairs++;
            var dx = Math.Sign(x[i] - x[j]);
            var dy = Math.Sign(y[i] - y[j]);
            if (dx == 0) tiedX++;
            if (dy == 0) tiedY++;
            if (dx == 0 || dy == 0) continue;
            if (dx == dy) concordant++;
            else discordant++;
        }
        var denominator = Math.Sqrt((double)(pairs - tiedX) * (pairs - tiedY));
        return denominator == 0 ? double.NaN : (concordant - discordant) / denominator;
    }

    /// <summary>Spearman's rho with ties: the Pearson correlation of the average ranks.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        return Pearson(AverageRanks(x), AverageRanks(y));
    }

    /// <summary>1-based ranks, ascending; tied values share the mean of the ranks they span.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        CheckPaired(x, y);
        if (x.Count < 2) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    private static void CheckPaired(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"Rank correlation needs paired lists; got {x.Count} and {y.Count} values.");
        if (x.Concat(y).Any(double.IsNaN)) throw new ArgumentException("Rank correlation of lists holding NaN is undefined.");
    }
}
