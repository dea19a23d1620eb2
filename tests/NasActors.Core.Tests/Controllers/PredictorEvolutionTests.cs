using NasActors.Core.Controllers;
using NasActors.Core.Controllers.PredictorEvolution;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tests.Controllers;

public class PredictorEvolutionTests
{
    private static readonly LayerChoiceSpace Space = LayerChoiceSpace.Uniform("ard", 6, 4);

    /// <summary>A signal where decisions 0 and 1 matter (with an interaction) and decisions 2-5 do not at all.</summary>
    private static double TwoDecisions(Architecture a) => 3.0 * a[0] + 2.0 * a[1] + (a[0] == a[1] ? 4 : 0);

    private static (Architecture[] X, double[] Y) Sample(int n, long seed, Func<Architecture, double> f)
    {
        var rng = DeterministicRandom.For(seed, "test");
        var x = Enumerable.Range(0, n).Select(_ => new Architecture(Enumerable.Range(0, 6).Select(_ => rng.NextInt(4)))).Distinct().ToArray();
        return (x, x.Select(f).ToArray());
    }

    [Fact]
    public void Ard_weights_are_larger_for_the_decisions_that_matter()
    {
        var (x, y) = Sample(60, 3, TwoDecisions);
        var gp = new ArdGaussianProcess(x, y);
        var relevant = Math.Min(gp.Weights[0], gp.Weights[1]);
        var irrelevant = gp.Weights.Skip(2).Max();
        Assert.True(relevant > 3 * irrelevant, $"weights {string.Join(", ", gp.Weights.Select(w => w.ToString("F3")))}");
    }

    [Fact]
    public void Ard_surrogate_predicts_unseen_architectures_better_than_the_shared_weight_kernel()
    {
        var (x, y) = Sample(40, 5, TwoDecisions);
        var (tx, ty) = Sample(200, 6, TwoDecisions);
        var seen = x.ToHashSet();
        var test = tx.Zip(ty).Where(p => !seen.Contains(p.First)).ToArray();
        var ard = new ArdGaussianProcess(x, y);
        var ham = new HammingGaussianProcess(x, y);
        double Rmse(Func<Architecture, (double Mean, double Std)> p) => Math.Sqrt(test.Average(t => Math.Pow(p(t.First).Mean - t.Second, 2)));
        Assert.True(Rmse(ard.Predict) < Rmse(ham.Predict), $"ard {Rmse(ard.Predict):F3}, hamming {Rmse(ham.Predict):F3}");
    }

    [Fact]
    public void Ard_surrogate_is_deterministic_and_nearly_interpolates_its_points()
    {
        var (x, y) = Sample(30, 7, TwoDecisions);
        var a = new ArdGaussianProcess(x, y);
        var b = new ArdGaussianProcess(x, y);
        Assert.Equal(a.Weights, b.Weights);
        Assert.Equal(a.Noise, b.Noise);
        var sd = Math.Sqrt(y.Average(v => Math.Pow(v - y.Average(), 2)));
        foreach (var (arch, v) in x.Zip(y))
        {
            var (m, s) = a.Predict(arch);
            Assert.Equal(b.Predict(arch), (m, s));
            Assert.True(Math.Abs(m - v) < 0.25 * sd, $"{arch}: predicted {m}, told {v}");
            Assert.True(s < 0.5 * sd);
        }
    }

    [Fact]
    public void Ard_surrogate_handles_a_single_point_and_constant_signals()
    {
        var one = new ArdGaussianProcess([Architecture.Of(0, 1, 2, 3, 0, 1)], [5.0]);
        Assert.Equal(5.0, one.Predict(Architecture.Of(0, 1, 2, 3, 0, 1)).Mean, 6);
        var (x, _) = Sample(10, 8, TwoDecisions);
        var flat = new ArdGaussianProcess(x, x.Select(_ => 2.0).ToArray());
        Assert.Equal(2.0, flat.Predict(Architecture.Of(3, 3, 3, 3, 3, 3)).Mean, 6);
    }

    [Fact]
    public void Balanced_design_uses_every_choice_of_every_decision_as_evenly_as_the_count_allows()
    {
        foreach (var seed in new long[] { 1, 2, 3 })
        {
            var c = ControllerFactory.Create(ControllerNames.PredictorEvolution, new SearchContext(Space, seed, 30),
                new Dictionary<string, string> { ["initial"] = "10" });
            var first = c.Propose(int.MaxValue).Select(p => p.Architecture).ToArray();
            Assert.Equal(10, first.Length);
            for (var d = 0; d < 6; d++)
            {
                var counts = Enumerable.Range(0, 4).Select(ch => first.Count(a => a[d] == ch)).ToArray();
                Assert.True(counts.Min() >= 2 && counts.Max() <= 3, $"seed {seed}, decision {d}: {string.Join(",", counts)}");
            }
        }
    }

    [Theory]
    [InlineData("ard", "0", "balanced")]
    [InlineData("hamming", "3", "random")]
    [InlineData("ard", "3", "balanced")]
    public void Every_variant_keeps_the_budget_has_no_duplicates_and_replays_in_any_order(string kernel, string localStarts, string design)
    {
        var settings = new Dictionary<string, string>
            { ["initial"] = "6", ["batch"] = "4", ["mutants"] = "10", ["random_pool"] = "10", ["kernel"] = kernel, ["local_starts"] = localStarts, ["design"] = design };
        IController Make() => ControllerFactory.Create(ControllerNames.PredictorEvolution, new SearchContext(Space, 11, 40), settings);
        var forward = TestSpaces.Drive(Make(), TestSpaces.Signal);
        var backward = TestSpaces.Drive(Make(), TestSpaces.Signal, (got, _) => got.AsEnumerable().Reverse());
        Assert.Equal(40, forward.Count);
        Assert.Equal(40, forward.Select(p => p.Architecture).Distinct().Count());
        Assert.Equal(forward.Select(p => p.Architecture), backward.Select(p => p.Architecture));
    }

    [Fact]
    public void A_guided_search_beats_random_search_on_a_signal_with_irrelevant_decisions()
    {
        // Three decisions of six matter: 64 combinations, so 30 random draws rarely hit the best one.
        static double Three(Architecture a) => 3.0 * a[0] + 2.0 * a[1] + a[2] + (a[0] == a[1] ? 4 : 0) + (a[1] == a[2] ? 2 : 0);
        double Mean(string name) => Enumerable.Range(0, 10).Average(seed =>
        {
            var c = ControllerFactory.Create(name, new SearchContext(Space, seed, 30));
            TestSpaces.Drive(c, Three);
            return c.Best!.Signal;
        });
        var guided = Mean(ControllerNames.PredictorEvolution);
        var random = Mean(ControllerNames.Random);
        Assert.True(guided > random, $"predictor-evolution {guided}, random {random}");
    }
}
