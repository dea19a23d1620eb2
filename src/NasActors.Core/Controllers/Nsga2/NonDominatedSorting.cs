namespace NasActors.Core.Controllers.Nsga2;

/// <summary>NSGA-II's ranking: fast non-dominated sorting and crowding distance. Every objective is minimized.</summary>
public static class NonDominatedSorting
{
    /// <summary>True when <paramref name="a"/> is no worse than <paramref name="b"/> in every objective and better in one.</summary>
    public static bool Dominates(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var better = false;
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i] > b[i]) return false;
            if (a[i] < b[i]) better = true;
        }
        return better;
    }

    /// <summary>The fronts, best first; each a list of indices in increasing order.</summary>
    public static List<List<int>> Fronts(IReadOnlyList<IReadOnlyList<double>> points)
    {
        var n = points.Count;
        var dominatedBy = new int[n];
        var dominates = new List<int>[n];
        var fronts = new List<List<int>>();
        var first = new List<int>();
        for (var p = 0; p < n; p++)
        {
            dominates[p] = [];
            for (var q = 0; q < n; q++)
            {
                if (p == q) continue;
                if (Dominates(points[p], points[q])) dominates[p].Add(q);
                else if (Dominates(points[q], points[p])) dominatedBy[p]++;
            }
            if (dominatedBy[p] == 0) first.Add(p);
        }
        var current = first;
        while (current.Count > 0)
        {
            fronts.Add(current);
            var next = new List<int>();
            foreach (var p in current)
                foreach (var q in dominates[p])
                    if (--dominatedBy[q] == 0) next.Add(q);
            next.Sort();
            current = next;
        }
        return fronts;
    }

    /// <summary>Crowding distance of each member of a front (same order as <paramref name="front"/>); the extremes get infinity.</summary>
    public static double[] CrowdingDistance(IReadOnlyList<int> front, IReadOnlyList<IReadOnlyList<double>> points)
    {
        var d = new double[front.Count];
        if (front.Count == 0) return d;
        var m = points[front[0]].Count;
        for (var k = 0; k < m; k++)
        {
            var order = Enumerable.Range(0, front.Count).OrderBy(i => points[front[i]][k]).ThenBy(i => front[i]).ToArray();
            var lo = points[front[order[0]]][k];
            var hi = points[front[order[^1]]][k];
            d[order[0]] = d[order[^1]] = double.PositiveInfinity;
            if (hi <= lo) continue;
            for (var i = 1; i < order.Length - 1; i++)
                d[order[i]] += (points[front[order[i + 1]]][k] - points[front[order[i - 1]]][k]) / (hi - lo);
        }
        return d;
    }
}
