namespace NasActors.Core.Ranking;

/// <summary>One architecture of the reference: its costs and its stand-alone accuracy (fraction) under each seed.</summary>
public sealed record ReferenceArchitecture(string Architecture, double Flops, double Params, IReadOnlyList<double> SeedAccuracies)
{
    public double Mean => SeedAccuracies.Average();
    public double Spread => StudyStatistics.StandardDeviation(SeedAccuracies);
}

/// <summary>
/// What one method's part of a study produced: its failure (null when it completed), its cost, its scores of the
/// reference's architectures (architecture text to score; empty for methods that rank nothing), and the architecture
/// it found (derived from its distribution, or its best-scored candidate) with that one's stand-alone accuracies.
/// </summary>
public sealed record MethodOutcome(string Method, string? Failure, double? WallSeconds, long Images, long? PeakMemoryBytes,
    IReadOnlyDictionary<string, double> Scores, string? Found, string? FoundBy, double? FoundFlops, double? FoundParams,
    IReadOnlyList<double>? FoundSeedAccuracies)
{
    /// <summary>The found architecture's latency (ms) from the study's latency table; null without one.</summary>
    public double? FoundLatency { get; init; }

    /// <summary>CPU seconds of the process while the part ran (in-process node), null where unmeasured.</summary>
    public double? CpuSeconds { get; init; }

    /// <summary>Not failed: the study's time limit came before the method's part ended (the same command resumes it).</summary>
    public bool Unfinished { get; init; }
}

/// <summary>One row of the study's table.</summary>
public sealed record MethodRow(MethodOutcome Outcome, int Ranked, ConfidenceInterval? KendallTau, ConfidenceInterval? Spearman, double? TopTau)
{
    public string Method => Outcome.Method;
    public bool Failed => Outcome.Failure is not null;
    public string Status => Outcome.Unfinished ? "unfinished" : Failed ? "failed" : "completed";
    public double? FoundMean => Outcome.FoundSeedAccuracies is { Count: > 0 } s ? s.Average() : null;
    public double? FoundSpread => Outcome.FoundSeedAccuracies is { Count: > 0 } s ? StudyStatistics.StandardDeviation(s) : null;
}

/// <summary>
/// The numbers of a method study: the reference (mean of the seeds, spread, and its reproducibility: tau between seed
/// halves) and per method Kendall tau-b and Spearman rho of its scores against the reference means, each with a paired
/// percentile-bootstrap interval (the same resamples for every method, from the seed), and tau among the top fraction.
/// </summary>
public sealed record MethodStudyReport(IReadOnlyList<ReferenceArchitecture> Reference, SeedHalfAgreement SeedHalves,
    IReadOnlyList<MethodRow> Rows, int Resamples, double Level, double TopFraction, long Seed)
{
    public static MethodStudyReport Compute(IReadOnlyList<ReferenceArchitecture> reference, IReadOnlyList<MethodOutcome> methods,
        int resamples, double level, double topFraction, long seed)
    {
        if (reference.Count < 2) throw new ArgumentException($"A method study needs at least 2 reference architectures, got {reference.Count}.");
        var seeds = reference[0].SeedAccuracies.Count;
        if (seeds < 1) throw new ArgumentException("A method study's reference needs at least one seed.");
        if (reference.Any(r => r.SeedAccuracies.Count != seeds)) throw new ArgumentException("Every reference architecture needs the same seeds.");
        var halves = seeds >= 2
            ? StudyStatistics.SeedHalfTau(Enumerable.Range(0, seeds).Select(s => (IReadOnlyList<double>)reference.Select(r => r.SeedAccuracies[s]).ToArray()).ToArray())
            : new SeedHalfAgreement(double.NaN, double.NaN, double.NaN, 0);
        var rows = methods.Select(m =>
        {
            if (m.Failure is not null || m.Scores.Count == 0) return new MethodRow(m, 0, null, null, null);
            // Architectures the method could not score (a failed evaluation) are left out of its correlations only.
            var ranked = reference.Where(r => m.Scores.ContainsKey(r.Architecture)).ToArray();
            if (ranked.Length < 2) return new MethodRow(m, ranked.Length, null, null, null);
            var scores = ranked.Select(r => m.Scores[r.Architecture]).ToArray();
            var truth = ranked.Select(r => r.Mean).ToArray();
            return new MethodRow(m, ranked.Length,
                Bootstrap.Paired(scores, truth, RankCorrelation.KendallTauB, resamples, level, seed),
                Bootstrap.Paired(scores, truth, RankCorrelation.Spearman, resamples, level, seed),
                StudyStatistics.TopTau(scores, truth, topFraction));
        }).ToArray();
        return new MethodStudyReport(reference, halves, rows, resamples, level, topFraction, seed);
    }
}
