using NasActors.Core.Ranking;

namespace NasActors.Core.Tests.Ranking;

public sealed class RankCorrelationTests
{
    [Fact]
    public void Kendall_tau_b_with_a_tie_in_y_matches_the_hand_count()
    {
        // x strictly increasing; y = 1,3,2,4,4: 8 concordant, 1 discordant (3>2), 1 pair tied in y, 10 pairs.
        double[] x = [1, 2, 3, 4, 5], y = [1, 3, 2, 4, 4];
        Assert.Equal(7 / Math.Sqrt(10 * 9), RankCorrelation.KendallTauB(x, y), 12);
    }

    [Fact]
    public void Kendall_tau_b_of_pairs_tied_in_both_lists_is_one_when_the_rest_agree()
    {
        // Pairs: (0,1) tied in both, (0,2) and (1,2) concordant: 2 / sqrt((3-1)(3-1)) = 1.
        Assert.Equal(1.0, RankCorrelation.KendallTauB([1, 1, 2], [5, 5, 7]), 12);
        Assert.Equal(-1.0, RankCorrelation.KendallTauB([1, 2, 3, 4], [4, 3, 2, 1]), 12);
    }

    [Fact]
    public void Spearman_with_ties_uses_average_ranks()
    {
        // Ranks of y = 1,3,2,4,4 are 1,3,2,4.5,4.5: sum of products of deviations 8.5, sxx 10, syy 9.5.
        double[] x = [1, 2, 3, 4, 5], y = [1, 3, 2, 4, 4];
        Assert.Equal([1, 3, 2, 4.5, 4.5], RankCorrelation.AverageRanks(y));
        Assert.Equal(8.5 / Math.Sqrt(95), RankCorrelation.Spearman(x, y), 12);
    }

    [Fact]
    public void Correlations_of_a_constant_list_are_undefined()
    {
        Assert.True(double.IsNaN(RankCorrelation.KendallTauB([1, 1, 1], [1, 2, 3])));
        Assert.True(double.IsNaN(RankCorrelation.Spearman([1, 2, 3], [2, 2, 2])));
    }

    [Fact]
    public void Lists_of_different_lengths_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => RankCorrelation.KendallTauB([1, 2], [1, 2, 3]));
        Assert.Contains("2 and 3", e.Message);
    }
}

public sealed class BootstrapTests
{
    [Fact]
    public void Percentile_interval_of_given_resamples_matches_the_hand_computation()
    {
        // x = 1,2,3 and y = 1,3,2. Resamples: {0,0,0} constant -> undefined, skipped; {0,1,2} -> tau 1/3;
        // {1,1,2} -> x 2,2,3 y 3,3,2: one pair tied in both, two discordant -> -2/2 = -1;
        // {2,0,0} -> x 3,1,1 y 2,1,1: two concordant, one tied in both -> 1.
        // Sorted -1, 1/3, 1; 50% interval = type-7 quantiles 0.25 and 0.75 = -1/3 and 2/3.
        double[] x = [1, 2, 3], y = [1, 3, 2];
        int[][] resamples = [[0, 0, 0], [0, 1, 2], [1, 1, 2], [2, 0, 0]];
        var ci = Bootstrap.Paired(x, y, RankCorrelation.KendallTauB, resamples, 0.5);
        Assert.Equal(1.0 / 3, ci.Estimate, 12);
        Assert.Equal(-1.0 / 3, ci.Lower, 12);
        Assert.Equal(2.0 / 3, ci.Upper, 12);
        Assert.Equal(4, ci.Resamples);
        Assert.Equal(3, ci.Valid);
    }

    [Fact]
    public void Quantile_interpolates_between_order_statistics()
    {
        double[] sorted = [1, 2, 2, 8.0 / 3];
        Assert.Equal(1.75, Bootstrap.Quantile(sorted, 0.25), 12);
        Assert.Equal(2 + 0.25 * (8.0 / 3 - 2), Bootstrap.Quantile(sorted, 0.75), 12);
        Assert.Equal(1, Bootstrap.Quantile(sorted, 0));
        Assert.Equal(8.0 / 3, Bootstrap.Quantile(sorted, 1));
    }

    [Fact]
    public void Seeded_bootstrap_is_reproducible_and_a_perfect_ranking_stays_perfect()
    {
        double[] x = [0.1, 0.4, 0.2, 0.9, 0.5, 0.7], y = [1, 3, 2, 6, 4, 5];
        var a = Bootstrap.Paired(x, y, RankCorrelation.KendallTauB, 500, 0.95, 7);
        var b = Bootstrap.Paired(x, y, RankCorrelation.KendallTauB, 500, 0.95, 7);
        Assert.Equal(a, b);
        Assert.Equal((1.0, 1.0, 1.0), (a.Estimate, a.Lower, a.Upper));
        Assert.True(a.Valid is > 450 and <= 500, $"{a.Valid} valid resamples");
        Assert.All(Bootstrap.Resamples(6, 50, 3), r => Assert.All(r, i => Assert.InRange(i, 0, 5)));
        Assert.NotEqual(Bootstrap.Resamples(6, 1, 3).Single(), Bootstrap.Resamples(6, 1, 4).Single());
    }

    [Fact]
    public void Report_computes_tau_and_rho_per_method_against_stand_alone_accuracy()
    {
        var archs = new[]
        {
            new StudiedArchitecture("a", 1, 1, 0.80, new Dictionary<string, double> { ["spos"] = 0.5, ["fairnas"] = 0.6 }),
            new StudiedArchitecture("b", 2, 1, 0.82, new Dictionary<string, double> { ["spos"] = 0.7, ["fairnas"] = 0.7 }),
            new StudiedArchitecture("c", 3, 1, 0.84, new Dictionary<string, double> { ["spos"] = 0.6, ["fairnas"] = 0.8 }),
            new StudiedArchitecture("d", 4, 1, 0.86, new Dictionary<string, double> { ["spos"] = 0.6, ["fairnas"] = 0.9 }),
        };
        var report = RankingReport.Compute(archs, ["spos", "fairnas"], 200, 0.9, 1);
        // spos 0.5,0.7,0.6,0.6: pairs C (a,b)(a,c)(a,d), D (b,c)(b,d), tie (c,d): 1/sqrt(6*5).
        Assert.Equal(1 / Math.Sqrt(30), report.Methods[0].KendallTau.Estimate, 12);
        Assert.Equal(1.0, report.Methods[1].KendallTau.Estimate, 12);
        Assert.Equal(1.0, report.Methods[1].Spearman.Estimate, 12);
        // spos ranks 1,4,2.5,2.5 against 1,2,3,4: deviations -1.5,1.5,0,0 and -1.5,-0.5,0.5,1.5: sxy 1.5, sxx 4.5, syy 5.
        Assert.Equal(1.5 / Math.Sqrt(4.5 * 5), report.Methods[0].Spearman.Estimate, 12);
    }
}
