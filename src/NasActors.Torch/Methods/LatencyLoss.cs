using NasActors.Core.Costs;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods;

/// <summary>
/// The latency-aware losses of ProxylessNAS and FBNet over a per-layer latency table (an additive cost model with the
/// <see cref="CostMetrics.Latency"/> metric, in milliseconds: the fixed part plus one entry per layer and choice).
/// </summary>
public static class LatencyLoss
{
    /// <summary>The table's latencies, checked against the space: one row per layer, one entry per choice.</summary>
    public static (double Fixed, double[][] PerChoice) Table(AdditiveCostModel table, IReadOnlyList<int> choiceCounts)
    {
        if (!table.Metrics.Contains(CostMetrics.Latency, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"The latency table has no '{CostMetrics.Latency}' metric (it has {string.Join(", ", table.Metrics)}).");
        var perChoice = choiceCounts.Select((m, i) => Enumerable.Range(0, m).Select(c => table.LayerCost(CostMetrics.Latency, i, c)).ToArray()).ToArray();
        return (table.FixedCost(CostMetrics.Latency), perChoice);
    }

    /// <summary>
    /// Reads a latency table file: JSON <c>{"fixed": ms, "layers": [[ms per choice], ...]}</c>, one row per layer of the
    /// space. Errors name the file and the fault.
    /// </summary>
    public static AdditiveCostModel ReadTable(string path, NasActors.Core.Spaces.Blocks.BlockSpace space)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Latency table '{path}' does not exist.", path);
        return ParseTable(File.ReadAllText(path), space, $"Latency table '{path}'");
    }

    /// <summary>The same from the file's text (a spec carries it, so every trainer node has it).</summary>
    public static AdditiveCostModel ParseTable(string json, NasActors.Core.Spaces.Blocks.BlockSpace space, string source = "Latency table")
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object
                || !root.TryGetProperty("fixed", out var fixedPart) || !root.TryGetProperty("layers", out var layers))
                throw new FormatException("it needs 'fixed' (ms) and 'layers' (per layer, ms per choice)");
            // nas latency-table names the space it measured; another space's table of the same shape is refused too.
            if (root.TryGetProperty("space", out var named) && named.ValueKind == System.Text.Json.JsonValueKind.String
                && !string.Equals(named.GetString(), space.Name, StringComparison.OrdinalIgnoreCase))
                throw new FormatException($"it was measured for space '{named.GetString()}', not '{space.Name}'");
            var perChoice = Rows(layers, "'layers'", row => Rows(row.Element, $"'layers'[{row.Index}]", v => Milliseconds(v.Element, $"'layers'[{row.Index}][{v.Index}]")));
            var fixedMs = Milliseconds(fixedPart, "'fixed'");
            return new AdditiveCostModel(space, new Dictionary<string, (double, double[][])> { [CostMetrics.Latency] = (fixedMs, perChoice) });
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"{source}: {e.Message}", e);
        }
    }

    static T[] Rows<T>(System.Text.Json.JsonElement array, string where, Func<(System.Text.Json.JsonElement Element, int Index), T> read) =>
        array.ValueKind == System.Text.Json.JsonValueKind.Array
            ? array.EnumerateArray().Select((e, i) => read((e, i))).ToArray()
            : throw new FormatException($"{where} must be an array, not {Describe(array)}");

    static double Milliseconds(System.Text.Json.JsonElement value, string where) =>
        value.ValueKind == System.Text.Json.JsonValueKind.Number && value.TryGetDouble(out var ms) && ms >= 0 && double.IsFinite(ms)
            ? ms
            : throw new FormatException($"{where} must be a number of milliseconds >= 0, not {Describe(value)}");

    static string Describe(System.Text.Json.JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 40 ? text : text[..40] + "...";
    }

    /// <summary>
    /// Writes a latency table in the format <see cref="ReadTable"/> reads (<c>fixed</c>, <c>layers</c>), with descriptive
    /// fields beside them (space, device, how it was measured) that the reader ignores.
    /// </summary>
    public static void WriteTable(string path, double fixedPart, double[][] perChoice, IReadOnlyDictionary<string, object>? about = null)
    {
        var document = new Dictionary<string, object> { ["unit"] = "ms", ["fixed"] = fixedPart, ["layers"] = perChoice };
        foreach (var (key, value) in about ?? new Dictionary<string, object>()) document.TryAdd(key, value);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } folder) Directory.CreateDirectory(folder);
        File.WriteAllText(path, System.Text.Json.JsonSerializer.Serialize(document, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>fixed + sum over layers of sum over choices of weight x table latency (weights: probabilities or Gumbel-softmax samples).</summary>
    public static Tensor Expected(IReadOnlyList<Tensor> layerWeights, (double Fixed, double[][] PerChoice) table)
    {
        var total = torch.tensor(table.Fixed, dtype: layerWeights[0].dtype, device: layerWeights[0].device);
        for (var i = 0; i < layerWeights.Count; i++)
        {
            using var latencies = torch.tensor(table.PerChoice[i], dtype: layerWeights[i].dtype, device: layerWeights[i].device);
            total = total.add(layerWeights[i].mul(latencies).sum());
        }
        return total;
    }

    /// <summary>ProxylessNAS's additive form: CE + lambda * (LAT - ref) / ref.</summary>
    public static Tensor Additive(Tensor crossEntropy, Tensor latency, double lambda, double reference) =>
        crossEntropy.add(latency.sub(reference).div(reference).mul(lambda));

    /// <summary>The latency of the table's fastest architecture: the fixed part plus each layer's fastest choice. Every
    /// expected or sampled latency (a convex mix per layer) is at least this.</summary>
    public static double Fastest((double Fixed, double[][] PerChoice) table) => table.Fixed + table.PerChoice.Sum(l => l.Min());

    /// <summary>
    /// The unit (ms) the log forms measure latency in, so that log(LAT / unit) is positive for every architecture: the
    /// forms CE * alpha * (log LAT)^beta and (log LAT / log ref)^beta are written for a unit in which latencies exceed 1
    /// (FBNet's tables were tens of milliseconds), and a table of sub-millisecond entries (a GPU, a small space) would
    /// make log LAT negative and the power undefined. <paramref name="unit"/> given: it is checked; not given: 1 ms
    /// where <paramref name="smallest"/> (the smallest latency the loss can see) is at least e ms, as published, else
    /// smallest / e, so that log(smallest / unit) = 1 (the loss then depends on latency relative to the fastest
    /// architecture only, whatever the table's scale). <paramref name="key"/> names the setting in messages.
    /// </summary>
    public static double LogUnit(double smallest, double? unit = null, string key = "latency-unit")
    {
        if (!(smallest > 0) || !double.IsFinite(smallest))
            throw new ArgumentException($"The log-latency loss needs a positive latency for every architecture; the smallest it can see is {smallest} ms (a table of zeros?).");
        var u = unit ?? Math.Min(1.0, smallest / Math.E);
        if (!(u > 0) || !double.IsFinite(u)) throw new ArgumentException($"{key} must be a finite number > 0 (ms), got {u}.");
        if (!(smallest / u > 1))
            throw new ArgumentException($"{key} {u} ms: the log-latency loss needs every latency above the unit (log LAT > 0), but the smallest it can see is {smallest} ms; " +
                                        $"give a unit below {smallest} ms, or leave it out ({Math.Min(1.0, smallest / Math.E):G4} ms would be taken).");
        return u;
    }

    /// <summary>ProxylessNAS's multiplicative form: CE * alpha * (log LAT / log ref)^beta; FBNet's is this with ref = e.</summary>
    public static Tensor Multiplicative(Tensor crossEntropy, Tensor latency, double alpha, double beta, double reference)
    {
        if (!(reference > 1)) throw new ArgumentException($"The multiplicative latency loss needs a reference latency above 1 (log ref > 0), got {reference}.");
        return crossEntropy.mul(latency.log().div(Math.Log(reference)).pow(beta).mul(alpha));
    }
}
