using NasActors.Core.Spaces;

namespace NasActors.Core.Costs;

/// <summary>Well-known cost metric names.</summary>
public static class CostMetrics
{
    /// <summary>Multiply-adds of convolutions and the classifier, at the space's input size.</summary>
    public const string Flops = "flops";
    /// <summary>Trainable parameters (the stand-alone network, with affine BatchNorm).</summary>
    public const string Params = "params";
    /// <summary>Latency in milliseconds, from a latency table.</summary>
    public const string Latency = "latency";
}

/// <summary>The cost of architectures of one space, per metric (FLOPs, params, latency, table columns).</summary>
public interface ICostModel
{
    IReadOnlyCollection<string> Metrics { get; }

    /// <summary>The cost; throws <see cref="KeyNotFoundException"/> naming the metric when the model lacks it.</summary>
    double Cost(string metric, Architecture architecture);

    /// <summary>The smallest cost any architecture of the space has for this metric.</summary>
    double Minimum(string metric);
}

/// <summary>
/// A cost that is a fixed part plus one term per decision and choice: the analytic FLOPs/params model of a block
/// space, or a per-layer latency table. Minimum and maximum are exact (sum of per-decision extremes).
/// </summary>
public sealed class AdditiveCostModel : ICostModel
{
    private readonly Dictionary<string, (double Fixed, double[][] PerChoice)> _tables;

    public AdditiveCostModel(ISearchSpace space, IReadOnlyDictionary<string, (double Fixed, double[][] PerChoice)> tables)
    {
        foreach (var (metric, (_, perChoice)) in tables)
        {
            if (perChoice.Length != space.ChoiceCounts.Count)
                throw new ArgumentException($"Cost table '{metric}' has {perChoice.Length} layers, space '{space.Name}' has {space.ChoiceCounts.Count}.");
            for (var i = 0; i < perChoice.Length; i++)
                if (perChoice[i].Length != space.ChoiceCounts[i])
                    throw new ArgumentException($"Cost table '{metric}' layer {i} has {perChoice[i].Length} choices, the space has {space.ChoiceCounts[i]}.");
        }
        Space = space;
        _tables = tables.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase);
    }

    public ISearchSpace Space { get; }
    public IReadOnlyCollection<string> Metrics => _tables.Keys;

    public double Cost(string metric, Architecture architecture)
    {
        var (fixedPart, perChoice) = Table(metric);
        var sum = fixedPart;
        for (var i = 0; i < perChoice.Length; i++) sum += perChoice[i][architecture[i]];
        return sum;
    }

    /// <summary>Cost of one decision's choice alone (what a layer adds).</summary>
    public double LayerCost(string metric, int decision, int choice) => Table(metric).PerChoice[decision][choice];

    public double FixedCost(string metric) => Table(metric).Fixed;

    public double Minimum(string metric)
    {
        var (f, p) = Table(metric);
        return f + p.Sum(layer => layer.Min());
    }

    public double Maximum(string metric)
    {
        var (f, p) = Table(metric);
        return f + p.Sum(layer => layer.Max());
    }

    private (double Fixed, double[][] PerChoice) Table(string metric) =>
        _tables.TryGetValue(metric, out var t)
            ? t
            : throw new KeyNotFoundException($"Cost metric '{metric}' is not known for space '{Space.Name}' (known: {string.Join(", ", _tables.Keys)}).");
}
