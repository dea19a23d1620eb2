using NasActors.Core.Ranking;

namespace NasActors.Core.Tests.Ranking;

/// <summary>The method study's statistics on cases counted by hand.</summary>
public class StudyStatisticsTests
{
    // Truth descending; the scores swap the first two: 9 concordant pairs, 1 discordant of 10.
    private static readonly double[] Truth = [0.90, 0.85, 0.80, 0.75, 0.70];
    private static readonly double[] Scores = [0.6, 0.7, 0.5, 0.4, 0.3];

    [Fact]
    public void Tau_rho_and_top_tau_match_a_hand_count()
    {
        Assert.Equal(0.8, RankCorrelation.KendallTauB(Scores, Truth), 12); // (9 - 1) / 10
        Assert.Equal(0.9, RankCorrelation.Spearman(Scores, Truth), 12); // 1 - 6 * (1 + 1) / (5 * 24)
        // Top 20% of 5 is one architecture, raised to 2: the swapped pair alone, tau -1.
        Assert.Equal(-1, StudyStatistics.TopTau(Scores, Truth), 12);
        Assert.Equal(2, StudyStatistics.TopCount(10, 0.2));
        Assert.Equal(3, StudyStatistics.TopCount(12, 0.2));
        // Top 60% = the 3 best: pairs (0,1) discordant, (0,2) and (1,2) concordant: 1/3.
        Assert.Equal(1.0 / 3, StudyStatistics.TopTau(Scores, Truth, 0.6), 12);
    }

    [Fact]
    public void Seed_half_tau_of_three_seeds_averages_each_seed_against_the_mean_of_the_other_two()
    {
        IReadOnlyList<double>[] bySeed = [[1, 2, 3, 4], [1, 2, 4, 3], [2, 1, 3, 4]];
        var h = StudyStatistics.SeedHalfTau(bySeed);
        // {0} vs mean{1,2} = [1.5,1.5,3.5,3.5]: 4 concordant, 2 pairs tied in y: 4 / sqrt(6 * 4).
        // {1} vs mean{0,2} = [1.5,1.5,3,4] and {2} vs mean{0,1} = [1,2,3.5,3.5]: 4 - 1 over sqrt(6 * 5) each.
        double a = 4 / Math.Sqrt(24), b = 3 / Math.Sqrt(30);
        Assert.Equal(3, h.Splits);
        Assert.Equal((a + 2 * b) / 3, h.Mean, 12);
        Assert.Equal(b, h.Min, 12);
        Assert.Equal(a, h.Max, 12);
        // Four seeds split into 2 + 2 three ways (each split once, not also as its complement).
        Assert.Equal(3, StudyStatistics.SeedHalfTau([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]).Splits);
        Assert.Equal(1, StudyStatistics.SeedHalfTau([[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]).Mean, 12);
        Assert.Throws<ArgumentException>(() => StudyStatistics.SeedHalfTau([[1, 2]]));
    }

    [Fact]
    public void A_failed_method_gets_no_statistics_and_the_others_rank_against_the_seed_means()
    {
        var reference = Truth.Select((t, i) => new ReferenceArchitecture($"a{i}", i, i, [t - 0.01, t + 0.01])).ToArray();
        var scored = new MethodOutcome("spos", null, 10, 100, null, reference.Select((r, i) => (r.Architecture, Scores[i])).ToDictionary(),
            "a0", "best scored", 0, 0, reference[0].SeedAccuracies);
        var failed = new MethodOutcome("darts", "search failed: diverged", 1, 100, null, new Dictionary<string, double>(), null, null, null, null, null);
        var report = MethodStudyReport.Compute(reference, [scored, failed], 200, 0.9, 0.2, 1);
        Assert.Equal(0.8, report.Rows[0].KendallTau!.Estimate, 12);
        Assert.Equal(0.9, report.Rows[0].Spearman!.Estimate, 12);
        Assert.Equal(-1, report.Rows[0].TopTau!.Value, 12);
        Assert.Equal(0.90, report.Rows[0].FoundMean!.Value, 12);
        Assert.True(report.Rows[1].Failed);
        Assert.Null(report.Rows[1].KendallTau);
        Assert.Equal(1, report.SeedHalves.Mean, 12); // both seeds rank the five alike
    }
}
