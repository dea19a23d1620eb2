using NasActors.Cluster.Specs;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Cluster.Evaluation;

/// <summary>
/// Scores without a network, for tests, benchmarks of the actor path and the tabular benchmark through actors: waits
/// the configured cost, then reads the signal from the table (or derives a synthetic one from the architecture and
/// the seed). Listed architectures fail on their first <c>fail-times</c> attempts (or always). Pure per job.
/// </summary>
public sealed class StubEvaluationBackend : IEvaluationBackend
{
    public async Task<EvaluationMetrics> EvaluateAsync(EvaluationJob job, CancellationToken cancel)
    {
        var e = job.Evaluation;
        if (e.StubCost > TimeSpan.Zero) await Task.Delay(e.StubCost, cancel).ConfigureAwait(false);
        return Score(job);
    }

    public static EvaluationMetrics Score(EvaluationJob job)
    {
        var e = job.Evaluation;
        if (e.FailArchitectures.Contains(job.Architecture) && (e.FailTimes == 0 || job.Attempt <= e.FailTimes))
            throw new EvaluationException($"stub failure of {job.Architecture} (attempt {job.Attempt})");
        var arch = Architecture.ParseChoiceString(job.Architecture);
        if (e.Table is { } path)
        {
            var setup = TableFor(path, e.Signal!);
            var accuracy = setup.Table.Value(e.Signal!, arch);
            return new EvaluationMetrics(accuracy, 0, Column(setup, "flops", arch), Column(setup, "params", arch), 0);
        }
        var rng = DeterministicRandom.For(job.Seed, "stub-evaluation/" + job.Architecture);
        var (flops, parameters) = BlockCosts(job.Space, arch);
        return new EvaluationMetrics(Math.Round(50 + 50 * rng.NextDouble(), 4), Math.Round(rng.NextDouble(), 4), flops, parameters, 0);
    }

    private sealed record TableSetup(Core.Tabular.BenchmarkTable Table);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, TableSetup> Tables = new();

    private static TableSetup TableFor(string path, string signal) =>
        Tables.GetOrAdd(Path.GetFullPath(path), p => new TableSetup(Core.Tabular.BenchmarkTable.Read(p)));

    private static double Column(TableSetup t, string name, Architecture a) => t.Table.HasColumn(name) ? t.Table.Value(name, a) : 0;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, AdditiveCostModel?> Costs = new();

    private static (double, double) BlockCosts(string space, Architecture a)
    {
        var model = Costs.GetOrAdd(space, s =>
        {
            try { return Core.Spaces.Blocks.BlockSpaces.Get(s).CostModel(); }
            catch (ArgumentException) { return null; }
        });
        return model is null ? (0, 0) : (model.Cost(CostMetrics.Flops, a), model.Cost(CostMetrics.Params, a));
    }
}
