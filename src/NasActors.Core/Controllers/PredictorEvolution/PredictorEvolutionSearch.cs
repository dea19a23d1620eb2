using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.PredictorEvolution;

/// <summary>
/// Settings of <c>predictor-evolution</c>: random architectures before the surrogate is used, architectures
/// evaluated per round, parents whose neighbourhoods are searched, and the random mutants and random
/// architectures added to the pool the surrogate ranks each round.
/// </summary>
public sealed record PredictorEvolutionSettings(int Initial = 10, int Batch = 5, int Parents = 10, int Mutants = 100, int RandomPool = 100,
    string Kernel = "ard", int LocalStarts = 0, string Design = "balanced")
{
    public static PredictorEvolutionSettings Read(SettingsReader r) => new(
        r.Int("initial", 10, min: 1),
        r.Int("batch", 5, min: 1),
        r.Int("parents", 10, min: 1),
        r.Int("mutants", 100, min: 0),
        r.Int("random_pool", 100, min: 0),
        r.String("kernel", "ard", "ard", "hamming").ToLowerInvariant(),
        r.Int("local_starts", 0, min: 0),
        r.String("design", "balanced", "balanced", "random").ToLowerInvariant());
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
    private double[]? _ardParameters;
    private int _ardFittedOn;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var rng = Random("pool", batch);
        var ok = Successful.OrderBy(e => e, Comparer<Evaluation>.Create(Evaluation.CompareBestFirst)).ToArray();
        var picked = new List<Architecture>();
        if (EvaluationsUsed < Settings.Initial || ok.Length < 2)
        {
            var n = Math.Min(Math.Max(Settings.Initial - EvaluationsUsed, Settings.Batch), maxCount);
            if (Settings.Design == "balanced" && batch == 0) picked.AddRange(BalancedDesign(rng, n));
            FillWithNew(rng, picked, n);
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

        var xs = ok.Select(e => e.Architecture).ToArray();
        var ys = ok.Select(e => e.Signal).ToArray();
        Func<Architecture, (double, double)> predict;
        if (Settings.Kernel == "ard")
        {
            // Refit the kernel's weights when the data grew by a fifth since the last fit; in between reuse them
            // (one factorization). The last fit depends only on the batches so far, so replay rebuilds it.
            var refit = _ardParameters is null || xs.Length * 5 >= _ardFittedOn * 6;
            var gp = new ArdGaussianProcess(xs, ys, parameters: refit ? null : _ardParameters);
            if (refit) { _ardParameters = gp.Parameters; _ardFittedOn = xs.Length; }
            predict = gp.Predict;
        }
        else { var gp = new HammingGaussianProcess(xs, ys); predict = gp.Predict; }
        var incumbent = ok[0].Signal;
        double Ei(Architecture a)
        {
            var (m, s) = predict(a);
            return HammingGaussianProcess.ExpectedImprovement(m, s, incumbent);
        }
        var ei = pool.Select(Ei).ToList();

        // Hill-climb the acquisition from the best pool members through one-decision neighbours, so children at
        // any distance from the parents can be reached (a way out of local optima the pool alone cannot leave).
        if (Settings.LocalStarts > 0)
        {
            var starts = Enumerable.Range(0, pool.Count).OrderByDescending(i => ei[i]).ThenBy(i => i).Take(Settings.LocalStarts).ToArray();
            foreach (var s0 in starts)
            {
                var at = pool[s0];
                var atEi = ei[s0];
                for (var step = 0; step < 2 * Space.ChoiceCounts.Count; step++)
                {
                    Architecture? next = null;
                    var nextEi = atEi;
                    foreach (var nb in Mutation.Neighbours(at, Space))
                    {
                        if (!IsNew(nb, inPool)) continue;
                        var v = Ei(nb);
                        inPool.Add(nb); pool.Add(nb); ei.Add(v);
                        if (v > nextEi) { next = nb; nextEi = v; }
                    }
                    if (next is null) break;
                    at = next; atEi = nextEi;
                }
            }
        }
        var order = Enumerable.Range(0, pool.Count).OrderByDescending(i => ei[i]).ThenBy(i => i);
        picked.AddRange(order.Take(Math.Min(Settings.Batch, maxCount)).Select(i => pool[i]));
        return picked;
    }

    /// <summary>
    /// A balanced start: for each decision, its choices in a random order, repeated, so every choice of every
    /// decision appears as evenly as <paramref name="count"/> allows (a Latin-hypercube-like design). A design
    /// point that is infeasible or a duplicate is left out (random draws fill the rest).
    /// </summary>
    private List<Architecture> BalancedDesign(Determinism.DeterministicRandom rng, int count)
    {
        var counts = Space.ChoiceCounts;
        var columns = new int[counts.Count][];
        for (var d = 0; d < counts.Count; d++)
        {
            var col = new int[count];
            var m = counts[d];
            var perm = Enumerable.Range(0, m).ToArray();
            for (var i = 0; i < count; i++)
            {
                if (i % m == 0)
                    for (var j = m - 1; j > 0; j--) { var r = rng.NextInt(j + 1); (perm[j], perm[r]) = (perm[r], perm[j]); }
                col[i] = perm[i % m];
            }
            for (var i = count - 1; i > 0; i--) { var r = rng.NextInt(i + 1); (col[i], col[r]) = (col[r], col[i]); }
            columns[d] = col;
        }
        var design = new List<Architecture>();
        for (var i = 0; i < count; i++)
        {
            var a = new Architecture(columns.Select(c => c[i]));
            if (IsNew(a, design)) design.Add(a);
        }
        return design;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
