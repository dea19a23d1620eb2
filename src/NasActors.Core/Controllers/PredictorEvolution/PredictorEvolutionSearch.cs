using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.PredictorEvolution;

/// <summary>
/// Settings of <c>predictor-evolution</c>: random architectures before the surrogate is used, architectures
/// evaluated per round, parents whose neighbourhoods are searched, and the random mutants and random
/// architectures added to the pool the surrogate ranks each round.
/// </summary>
public sealed record PredictorEvolutionSettings(int Initial = 10, int Batch = 5, int Parents = 10, int Mutants = 100, int RandomPool = 100)
{
    public static PredictorEvolutionSettings Read(SettingsReader r) => new(
        r.Int("initial", 10, min: 1),
        r.Int("batch", 5, min: 1),
        r.Int("parents", 10, min: 1),
        r.Int("mutants", 100, min: 0),
        r.Int("random_pool", 100, min: 0));
}

/// <summary>
/// Predictor-guided evolution (in the spirit of BANANAS / NPENAS): after a random start, each round fits a
/// Gaussian-process surrogate (<see cref="HammingGaussianProcess"/>) to every evaluation so far, builds a pool of
/// children (every one-decision neighbour of the best parents, random two-decision mutants of them, random
/// architectures), and evaluates the children with the highest expected improvement. Only new feasible
/// architectures enter the pool, so the surrogate spends no budget.
/// </summary>
public sealed class PredictorEvolutionSearch(SearchContext context, PredictorEvolutionSettings settings)
    : BatchController(ControllerNames.PredictorEvolution, context)
{
    public PredictorEvolutionSettings Settings { get; } = settings;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var rng = Random("pool", batch);
        var ok = Successful.OrderBy(e => e, Comparer<Evaluation>.Create(Evaluation.CompareBestFirst)).ToArray();
        var picked = new List<Architecture>();
        if (EvaluationsUsed < Settings.Initial || ok.Length < 2)
        {
            var n = Math.Min(Math.Max(Settings.Initial - EvaluationsUsed, Settings.Batch), maxCount);
            while (picked.Count < n)
            {
                var a = DrawNew(rng, picked);
                if (a is null) break;
                picked.Add(a);
            }
            return picked;
        }

        var pool = new List<Architecture>();
        var inPool = new HashSet<Architecture>();
        void Offer(Architecture a) { if (IsNew(a, inPool)) { inPool.Add(a); pool.Add(a); } }
        var parents = ok.Take(Settings.Parents).Select(e => e.Architecture).ToArray();
        foreach (var p in parents)
            foreach (var nb in Mutation.Neighbours(p, Space)) Offer(nb);
        for (var i = 0; i < Settings.Mutants; i++)
        {
            var p = parents[rng.NextInt(parents.Length)];
            Offer(Mutation.OneDecision(Mutation.OneDecision(p, Space, rng), Space, rng));
        }
        for (var i = 0; i < Settings.RandomPool; i++)
        {
            var a = DrawNew(rng, inPool);
            if (a is null) break;
            Offer(a);
        }
        if (pool.Count == 0) return picked;

        var gp = new HammingGaussianProcess(ok.Select(e => e.Architecture).ToArray(), ok.Select(e => e.Signal).ToArray());
        var incumbent = ok[0].Signal;
        var scored = pool.Select((a, i) =>
        {
            var (m, s) = gp.Predict(a);
            return (a, i, ei: HammingGaussianProcess.ExpectedImprovement(m, s, incumbent));
        }).OrderByDescending(t => t.ei).ThenBy(t => t.i);
        picked.AddRange(scored.Take(Math.Min(Settings.Batch, maxCount)).Select(t => t.a));
        return picked;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
