namespace NasActors.Core.Ranking;

/// <summary>One architecture of a study: its costs, its stand-alone accuracy, and its score under each supernet.</summary>
public sealed record StudiedArchitecture(string Architecture, double Flops, double Params, double StandaloneAccuracy,
    IReadOnlyDictionary<string, double> SupernetAccuracy);

/// <summary>How well one supernet's scores order the architectures the way stand-alone training does.</summary>
public sealed record MethodRanking(string Method, ConfidenceInterval KendallTau, ConfidenceInterval Spearman);

/// <summary>The numbers of a finished study.</summary>
public sealed record RankingReport(IReadOnlyList<StudiedArchitecture> Architectures, IReadOnlyList<MethodRanking> Methods,
    int Resamples, double Level, long Seed)
{
    /// <summary>
    /// Kendall tau-b and Spearman rho of each method's scores against the stand-alone accuracies, each with a paired
    /// percentile-bootstrap interval (the same resamples for every method and statistic, from <paramref name="seed"/>).
    /// </summary>
    public static RankingReport Compute(IReadOnlyList<StudiedArchitecture> architectures, IReadOnlyList<string> methods,
        int resamples, double level, long seed)
    {
        if (architectures.Count < 2) throw new ArgumentException($"A ranking needs at least 2 architectures, got {architectures.Count}.");
        var truth = architectures.Select(a => a.StandaloneAccuracy).ToArray();
        var rankings = methods.Select(m =>
        {
            var scores = architectures.Select(a => a.SupernetAccuracy.TryGetValue(m, out var v)
                ? v
                : throw new ArgumentException($"Architecture {a.Architecture} has no score from the {m} supernet.")).ToArray();
            return new MethodRanking(m,
                Bootstrap.Paired(scores, truth, RankCorrelation.KendallTauB, resamples, level, seed),
                Bootstrap.Paired(scores, truth, RankCorrelation.Spearman, resamples, level, seed));
        }).ToArray();
        return new RankingReport(architectures, rankings, resamples, level, seed);
    }
}
