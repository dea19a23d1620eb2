using NasActors.Core.Controllers;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tests.Controllers;

/// <summary>Small spaces, signals and cost models for controller tests.</summary>
public static class TestSpaces
{
    public static readonly LayerChoiceSpace Small = LayerChoiceSpace.Uniform("small", 5, 3);

    /// <summary>A rugged deterministic signal: additive per-choice terms plus pairwise interactions, from a hash.</summary>
    public static double Signal(Architecture a)
    {
        var s = 0.0;
        for (var i = 0; i < a.Count; i++)
        {
            s += Unit(1, i, a[i]);
            if (i > 0) s += 0.5 * Unit(2, i * 64 + a[i - 1], a[i]);
        }
        return 100 * s / a.Count;
    }

    private static double Unit(long purpose, long i, long c) =>
        DeterministicRandom.For(1234, "signal", purpose, i, c).NextDouble();

    /// <summary>A distribution over the space's choices drawn from the seed (softmax of uniform logits in [-3, 3]).</summary>
    public static ArchitectureDistribution Distribution(ISearchSpace space, long seed) =>
        new(space.ChoiceCounts.Select((m, i) =>
        {
            var rng = DeterministicRandom.For(seed, "test-distribution", i);
            var e = Enumerable.Range(0, m).Select(_ => Math.Exp(6 * rng.NextDouble() - 3)).ToArray();
            return e.Select(x => x / e.Sum()).ToArray();
        }).ToArray());

    /// <summary>FLOPs of the small space: choice c of layer i costs (c + 1) * (i + 1).</summary>
    public static AdditiveCostModel Flops(ISearchSpace space) =>
        new(space, new Dictionary<string, (double, double[][])>
        {
            [CostMetrics.Flops] = (1.0, space.ChoiceCounts.Select((m, i) => Enumerable.Range(0, m).Select(c => (double)(c + 1) * (i + 1)).ToArray()).ToArray()),
        });

    /// <summary>Settings that make each controller's batches and schedule small enough for small spaces.</summary>
    public static IReadOnlyDictionary<string, string> SmallSettings(string controller) => controller switch
    {
        ControllerNames.Random => new Dictionary<string, string> { ["batch"] = "4" },
        ControllerNames.Evolution => new Dictionary<string, string>
            { ["population"] = "8", ["top_k"] = "3", ["mutation_children"] = "3", ["crossover_children"] = "3", ["generations"] = "6", ["mutation_prob"] = "0.3" },
        ControllerNames.RegularizedEvolution => new Dictionary<string, string> { ["population"] = "6", ["sample_size"] = "2", ["batch"] = "2" },
        ControllerNames.Nsga2 => new Dictionary<string, string> { ["population"] = "6" },
        ControllerNames.Reinforce => new Dictionary<string, string> { ["batch"] = "3", ["learning_rate"] = "0.3" },
        ControllerNames.PredictorEvolution => new Dictionary<string, string> { ["initial"] = "5", ["batch"] = "8", ["mutants"] = "10", ["random_pool"] = "10" },
        ControllerNames.Stratified => new Dictionary<string, string> { ["count"] = "6" },
        ControllerNames.Derived => new Dictionary<string, string> { ["batch"] = "5" },
        _ => new Dictionary<string, string>(),
    };

    /// <summary>Runs a controller to the end, telling results of each proposal round in the order <paramref name="order"/> gives.</summary>
    public static List<Candidate> Drive(IController c, Func<Architecture, double> signal, Func<IReadOnlyList<Candidate>, int, IEnumerable<Candidate>>? order = null,
        int chunk = int.MaxValue, Func<Architecture, bool>? fails = null)
    {
        var all = new List<Candidate>();
        var round = 0;
        while (!c.IsDone)
        {
            var got = new List<Candidate>();
            for (var p = c.Propose(chunk); p.Count > 0; p = c.Propose(chunk)) got.AddRange(p);
            if (got.Count == 0) throw new InvalidOperationException("Stuck: nothing proposed while not done.");
            all.AddRange(got);
            foreach (var cand in order is null ? got : order(got, round))
            {
                if (fails?.Invoke(cand.Architecture) == true) c.TellFailed(cand.Architecture, "test failure");
                else c.Tell(new EvaluationResult(cand.Architecture, signal(cand.Architecture)));
            }
            round++;
        }
        return all;
    }
}
