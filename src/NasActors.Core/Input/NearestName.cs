namespace NasActors.Core.Input;

/// <summary>
/// The known name closest to a mistyped one (case-insensitive edit distance), for "did you mean" in the messages of
/// every input that has a fixed set of names: command-line options, configuration keys, spec keys.
/// </summary>
public static class NearestName
{
    /// <summary>The closest known name, or null when none is near enough to be a likely typo.</summary>
    public static string? Of(string given, IEnumerable<string> known)
    {
        var g = given.Trim().ToLowerInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known)
        {
            var d = Distance(g, k.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (k, d);
        }
        // A third of the name (at least 2 edits) still reads as a typo; beyond that a suggestion is noise.
        return best is not null && bestDistance <= Math.Max(2, g.Length / 3) ? best : null;
    }

    /// <summary>"; did you mean X?" or "" (to append to a message).</summary>
    public static string DidYouMean(string given, IEnumerable<string> known, string prefix = "") =>
        Of(given, known) is { } near ? $"; did you mean {prefix}{near}?" : "";

    /// <summary>Levenshtein distance with adjacent transpositions counted as one edit.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
