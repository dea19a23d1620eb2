using System.Diagnostics;
using NasActors.Core.Controllers;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tabular;

/// <summary>
/// What to run against a table: a controller and its settings, the column that guides the search (signal), the
/// column that scores the returned architecture, cost limits on table columns, the budget (distinct evaluations)
/// and the seeds (<see cref="FirstSeed"/>, <see cref="FirstSeed"/>+1, ...).
/// </summary>
public sealed record BenchmarkOptions(
    string Controller, string Signal, string Score, int Budget, int Seeds,
    IReadOnlyDictionary<string, string>? Settings = null, IReadOnlyList<CostConstraint>? Constraints = null, long FirstSeed = 0);

/// <summary>One search: the returned architecture (best by signal), its score, and the best-so-far score after each evaluation.</summary>
public sealed record SearchOutcome(long Seed, Architecture Best, double BestSignal, double Score, int Evaluations, double[] ScoreCurve);

/// <summary>The runs of one controller and their summary: mean and sample standard deviation of the score, and the mean curve.</summary>
public sealed record BenchmarkReport(BenchmarkOptions Options, IReadOnlyList<SearchOutcome> Runs, TimeSpan Elapsed)
{
    public double MeanScore => Runs.Average(r => r.Score);
    public double StdScore => Std(Runs.Select(r => r.Score).ToArray());
    public double MeanEvaluations => Runs.Average(r => r.Evaluations);

    /// <summary>For k = 1..budget: mean and std over seeds of the score of the best-by-signal architecture among the first k evaluations.</summary>
    public IReadOnlyList<(int Evaluations, double Mean, double Std)> Curve()
    {
        var points = new List<(int, double, double)>();
        for (var k = 0; k < Options.Budget; k++)
        {
            var at = Runs.Select(r => r.ScoreCurve[k]).Where(double.IsFinite).ToArray();
            if (at.Length == Runs.Count) points.Add((k + 1, at.Average(), Std(at)));
        }
        return points;
    }

    public static double Std(IReadOnlyList<double> xs)
    {
        if (xs.Count < 2) return 0;
        var m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Count - 1));
    }
}

/// <summary>Runs a controller against a benchmark table for many seeds (in parallel; each seed's search is sequential and deterministic).</summary>
public static class TabularBenchmark
{
    public static BenchmarkReport Run(BenchmarkTable table, BenchmarkOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (options.Budget < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Budget, "The budget must be at least 1.");
        if (options.Seeds < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Seeds, "At least one seed.");
        // Fail on bad columns, settings and constraints before any search starts.
        var signal = table.Numeric(options.Signal);
        var score = table.Numeric(options.Score);
        var costs = new TableCostModel(table);
        var constraints = new Constraints(table.Space, costs, options.Constraints ?? [], table.Architectures);
        constraints.EnsureSatisfiable();
        var make = ControllerFactory.Prepare(options.Controller, options.Settings);
        var context0 = new SearchContext(table.Space, options.FirstSeed, options.Budget, constraints, costs);
        if (make(context0) is Controllers.Derived.IDistributionController) // settings that depend on the context (e.g. nsga2's objective) fail here
            throw new ArgumentException($"Controller '{options.Controller}' proposes from a trained supernet's distribution; a table has none.");

        var sw = Stopwatch.StartNew();
        var runs = new SearchOutcome[options.Seeds];
        Parallel.For(0, options.Seeds, new ParallelOptions { CancellationToken = cancel }, i =>
        {
            var seed = options.FirstSeed + i;
            runs[i] = RunOne(table, make(new SearchContext(table.Space, seed, options.Budget, constraints, costs)), seed, signal, score, options.Budget);
        });
        return new BenchmarkReport(options, runs, sw.Elapsed);
    }

    /// <summary>One search: propose, look up, tell, until the controller is done.</summary>
    public static SearchOutcome RunOne(BenchmarkTable table, IController controller, long seed,
        IReadOnlyList<double> signal, IReadOnlyList<double> score, int budget)
    {
        while (!controller.IsDone)
        {
            var proposals = controller.Propose(int.MaxValue);
            if (proposals.Count == 0)
                throw new InvalidOperationException($"Controller '{controller.Name}' proposed nothing while not done (seed {seed}).");
            foreach (var c in proposals)
            {
                var row = table.RowOf(c.Architecture);
                if (row < 0) throw new InvalidOperationException($"Controller '{controller.Name}' proposed '{table.Space.Format(c.Architecture)}', which is not in the table.");
                controller.Tell(new EvaluationResult(c.Architecture, signal[row]));
            }
        }
        var curve = new double[budget];
        Evaluation? best = null;
        var k = 0;
        foreach (var e in controller.History)
        {
            if (e.Succeeded && (best is null || Evaluation.CompareBestFirst(e, best) < 0)) best = e;
            curve[k++] = best is null ? double.NaN : score[table.RowOf(best.Architecture)];
        }
        // A search that stopped early (schedule over, space exhausted) keeps its result for the rest of the budget.
        for (; k < budget; k++) curve[k] = k == 0 ? double.NaN : curve[k - 1];
        var final = controller.Best ?? throw new InvalidOperationException($"Controller '{controller.Name}' evaluated nothing (seed {seed}).");
        if (final != best) throw new InvalidOperationException("The controller's best differs from the best of its history.");
        return new SearchOutcome(seed, final.Architecture, final.Signal, score[table.RowOf(final.Architecture)], controller.EvaluationsUsed, curve);
    }
}
