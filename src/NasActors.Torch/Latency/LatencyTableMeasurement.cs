using System.Diagnostics;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Ranking;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Latency;

/// <summary>A measured per-layer latency table, in milliseconds: the fixed part (stem, head, classifier) and every choice of every layer.</summary>
public sealed record LatencyTable(double Fixed, double[][] PerChoice)
{
    /// <summary>The table as a cost model with the <see cref="CostMetrics.Latency"/> metric (what constraints and the latency losses read).</summary>
    public AdditiveCostModel ToCostModel(ISearchSpace space) =>
        new(space, new Dictionary<string, (double, double[][])> { [CostMetrics.Latency] = (Fixed, PerChoice) });

    public double Sum(Architecture architecture) => Fixed + architecture.Select((c, i) => PerChoice[i][c]).Sum();
}

/// <summary>The additivity check: the table's sums against measured end-to-end latencies of random architectures.</summary>
public sealed record AdditivityCheck(IReadOnlyList<Architecture> Architectures, double[] TableSums, double[] Measured, double Spearman, double Threshold)
{
    public bool Passes => Spearman >= Threshold;

    /// <summary>Spearman's rho (the rank study's, ties averaged) between the table's sums and the measured latencies.</summary>
    public static double Statistic(IReadOnlyList<double> tableSums, IReadOnlyList<double> measured) => RankCorrelation.Spearman(tableSums, measured);
}

/// <summary>
/// Measures a block space's latency table on a device: every choice block of every layer alone at batch 1 on that
/// layer's real input (the stem's output carried through the layers, so shapes and memory layout are the network's
/// own), in eval mode without gradients, the median of repeated timed passes after warm-up; on CUDA the device is
/// synchronised around each timed pass so the time is the kernels', not the launch's.
/// </summary>
public sealed class LatencyTableMeasurement(BlockSpace space, Device device, int repeats = 50, int warmup = 10)
{
    public BlockSpace Space { get; } = space;

    public LatencyTable Measure()
    {
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats), repeats, "At least one timed repeat is needed.");
        if (warmup < 0) throw new ArgumentOutOfRangeException(nameof(warmup), warmup, "Warm-up passes cannot be negative.");
        if (Space is CellSpace)
            throw new ArgumentException($"A latency table times one block per layer; space '{Space.Name}' is a cell space (each edge runs in every cell), which it does not cover.");
        using var network = BlockNetwork.Supernet(Space, initSeed: 1);
        network.to(device);
        network.eval();
        using var noGrad = torch.no_grad();
        using var input = Input();
        var perChoice = new double[Space.ChoiceCounts.Count][];
        var stemMs = Time(() => network.ForwardStem(input));
        var h = network.ForwardStem(input);
        for (var i = 0; i < perChoice.Length; i++)
        {
            var layer = i;
            var x = h;
            perChoice[i] = TimeRoundRobin(Enumerable.Range(0, Space.ChoiceCounts[i]).Select(c => (Func<Tensor>)(() => network.Block(layer, c).call(x))).ToList());
            // Every choice of a layer gives the same shape: the next layer's input is any one's output.
            h = network.Block(i, 0).call(x);
            x.Dispose();
        }
        var last = h;
        var headMs = Time(() => network.ForwardHead(last));
        last.Dispose();
        return new LatencyTable(stemMs + headMs, perChoice);
    }

    /// <summary>
    /// Times <paramref name="count"/> seeded random architectures end to end (each built stand-alone, batch 1, same
    /// protocol as the table) and correlates them with the table's sums.
    /// </summary>
    public AdditivityCheck CheckAdditivity(LatencyTable table, int count = 24, long seed = 1, double threshold = 0.9)
    {
        var rng = DeterministicRandom.For(seed, "latency-additivity");
        var architectures = Enumerable.Range(0, count)
            .Select(_ => new Architecture(Space.ChoiceCounts.Select(m => rng.NextInt(m)))).ToList();
        using var input = Input();
        using var noGrad = torch.no_grad();
        double[] measured;
        var networks = architectures.Select(a =>
        {
            var network = BlockNetwork.StandAlone(Space, a, initSeed: 1);
            network.to(device);
            network.eval();
            return network;
        }).ToList();
        try
        {
            measured = TimeRoundRobin(networks.Select(n => (Func<Tensor>)(() => n.call(input))).ToList());
        }
        finally
        {
            foreach (var network in networks) network.Dispose();
        }
        var sums = architectures.Select(table.Sum).ToArray();
        return new AdditivityCheck(architectures, sums, measured, AdditivityCheck.Statistic(sums, measured), threshold);
    }

    private Tensor Input() => torch.randn([1, Space.Input.Channels, Space.Input.Height, Space.Input.Width], device: device);

    /// <summary>Median milliseconds of <c>repeats</c> passes after <c>warmup</c> untimed ones.</summary>
    private double Time(Func<Tensor> pass)
    {
        for (var w = 0; w < warmup; w++) pass().Dispose();
        var times = new double[repeats];
        for (var r = 0; r < repeats; r++) times[r] = TimeOnce(pass);
        return Median(times);
    }

    /// <summary>
    /// Median milliseconds of each pass, timed round-robin (repeat r of every pass before repeat r + 1 of any) so that a
    /// change of the machine's load while they are timed spreads over all of them instead of biasing some.
    /// </summary>
    private double[] TimeRoundRobin(IReadOnlyList<Func<Tensor>> passes)
    {
        foreach (var pass in passes)
            for (var w = 0; w < warmup; w++) pass().Dispose();
        var times = passes.Select(_ => new double[repeats]).ToArray();
        for (var r = 0; r < repeats; r++)
            for (var k = 0; k < passes.Count; k++)
                times[k][r] = TimeOnce(passes[k]);
        return times.Select(Median).ToArray();
    }

    private double TimeOnce(Func<Tensor> pass)
    {
        Synchronize();
        var start = Stopwatch.GetTimestamp();
        using var output = pass();
        Synchronize();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private void Synchronize()
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
    }
}
