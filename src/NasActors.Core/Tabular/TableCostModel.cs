using NasActors.Core.Costs;
using NasActors.Core.Spaces;

namespace NasActors.Core.Tabular;

/// <summary>Costs read from columns of a benchmark table (latencies, FLOPs, params...): every column but the architecture's is a metric.</summary>
public sealed class TableCostModel(BenchmarkTable table) : ICostModel
{
    public IReadOnlyCollection<string> Metrics { get; } = table.Columns.Where(c => c != table.ArchitectureColumn).ToArray();

    public double Cost(string metric, Architecture architecture) => table.Value(Column(metric), architecture);

    public double Minimum(string metric) => table.Numeric(Column(metric)).Min();

    private string Column(string metric) =>
        Metrics.FirstOrDefault(m => m == metric) ?? Metrics.FirstOrDefault(m => string.Equals(m, metric, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"Cost metric '{metric}' is not a column of {table.Source} (columns: {string.Join(", ", Metrics)}).");
}
