using NasActors.Core.Costs;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Nsga2;

/// <summary>
/// Settings of <c>nsga2</c>: the cost metric traded against the signal (a metric of the cost model: flops, params,
/// latency or a table column), the population size, crossover probability and per-decision mutation probability
/// (default 1 / decisions).
/// </summary>
public sealed record Nsga2Settings(string Objective = CostMetrics.Flops, int Population = 20, double CrossoverProbability = 0.9,
    double? MutationProbability = null, int MaxTries = 500)
{
    public static Nsga2Settings Read(SettingsReader r) => new(
        r.String("objective", CostMetrics.Flops),
        r.Int("population", 20, min: 2),
        r.Double("crossover_prob", 0.9, min: 0, max: 1),
        r.Double("mutation_prob", -1, min: -1, max: 1) is var p && p >= 0 ? p : null,
        r.Int("max_tries", 500, min: 1));
}

/// <summary>
/// NSGA-II (Deb et al. 2002) on two objectives: maximize the signal, minimize a cost. Parents are chosen by binary
/// tournament on (front rank, crowding distance); children by uniform crossover and per-decision mutation; the
/// next population is the best N of parents and children by rank then crowding. <see cref="ParetoFront"/> is the
/// non-dominated set of everything evaluated, by increasing cost.
/// </summary>
public sealed class Nsga2Search : BatchController
{
    private List<Evaluation> _population = [];
    private readonly ICostModel _costs;

    public Nsga2Search(SearchContext context, Nsga2Settings settings) : base(ControllerNames.Nsga2, context)
    {
        Settings = settings;
        _costs = context.Costs ?? throw new ControllerSettingsException(ControllerNames.Nsga2, "objective",
            $"'{settings.Objective}' needs a cost model, and the search has none");
        if (!_costs.Metrics.Contains(settings.Objective, StringComparer.OrdinalIgnoreCase))
            throw new ControllerSettingsException(ControllerNames.Nsga2, "objective",
                $"no cost metric '{settings.Objective}' (known: {string.Join(", ", _costs.Metrics)})");
    }

    public Nsga2Settings Settings { get; }
    public IReadOnlyList<Evaluation> Population => _population;

    /// <summary>The objective vector (both minimized): negated signal, cost.</summary>
    public double[] Objectives(Evaluation e) => [-e.Signal, _costs.Cost(Settings.Objective, e.Architecture)];

    public override IReadOnlyList<Evaluation> ParetoFront
    {
        get
        {
            var ok = Successful.ToList();
            var pts = ok.Select(e => (IReadOnlyList<double>)Objectives(e)).ToList();
            var front = ok.Count == 0 ? [] : NonDominatedSorting.Fronts(pts)[0];
            return front.Select(i => ok[i]).OrderBy(e => Objectives(e)[1]).ThenBy(e => e.Candidate.Sequence).ToArray();
        }
    }

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var size = Math.Min(Settings.Population, maxCount);
        var children = new List<Architecture>();
        var rng = Random("offspring", batch);
        if (_population.Count > 0)
        {
            var (rank, crowd) = Rank(_population);
            int Pick()
            {
                var a = rng.NextInt(_population.Count);
                var b = rng.NextInt(_population.Count);
                if (rank[a] != rank[b]) return rank[a] < rank[b] ? a : b;
                if (crowd[a] != crowd[b]) return crowd[a] > crowd[b] ? a : b;
                return Math.Min(a, b);
            }
            var pm = Settings.MutationProbability ?? 1.0 / Space.DecisionCount();
            for (var tries = 0; children.Count < size && tries < Settings.MaxTries; tries++)
            {
                var p1 = _population[Pick()].Architecture;
                var p2 = _population[Pick()].Architecture;
                var child = rng.NextDouble() < Settings.CrossoverProbability ? Crossover.Uniform(p1, p2, rng) : p1;
                child = Mutation.PerDecision(child, Space, pm, rng);
                if (IsNew(child, children)) children.Add(child);
            }
        }
        FillWithNew(rng, children, size);
        return children;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results)
    {
        var merged = _population.Concat(results.Where(r => r.Succeeded)).ToList();
        var pts = merged.Select(e => (IReadOnlyList<double>)Objectives(e)).ToList();
        var next = new List<Evaluation>();
        foreach (var front in NonDominatedSorting.Fronts(pts))
        {
            if (next.Count + front.Count <= Settings.Population) { next.AddRange(front.Select(i => merged[i])); continue; }
            var crowd = NonDominatedSorting.CrowdingDistance(front, pts);
            next.AddRange(Enumerable.Range(0, front.Count).OrderByDescending(i => crowd[i]).ThenBy(i => front[i])
                .Take(Settings.Population - next.Count).Select(i => merged[front[i]]));
            break;
        }
        _population = next;
    }

    private (int[] Rank, double[] Crowding) Rank(IReadOnlyList<Evaluation> members)
    {
        var pts = members.Select(e => (IReadOnlyList<double>)Objectives(e)).ToList();
        var rank = new int[members.Count];
        var crowd = new double[members.Count];
        var fronts = NonDominatedSorting.Fronts(pts);
        for (var f = 0; f < fronts.Count; f++)
        {
            var d = NonDominatedSorting.CrowdingDistance(fronts[f], pts);
            for (var i = 0; i < fronts[f].Count; i++) { rank[fronts[f][i]] = f; crowd[fronts[f][i]] = d[i]; }
        }
        return (rank, crowd);
    }
}
