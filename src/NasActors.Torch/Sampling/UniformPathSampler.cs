using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Torch.Sampling;

/// <summary>
/// SPOS sampling inside FLOPs bands: the range [min, max] FLOPs of the space is cut into <see cref="Count"/> equal
/// bands; each step picks a band uniformly and rejection-samples paths into it, falling back to an unconstrained
/// path after <see cref="MaxDraws"/> draws (a band may hold few paths).
/// </summary>
public sealed record FlopsBands(ICostModel CostModel, int Count, int MaxDraws = 100)
{
    public void Validate()
    {
        if (Count < 1) throw new ArgumentException($"FLOPs bands: count must be at least 1, got {Count}.");
        if (MaxDraws < 1) throw new ArgumentException($"FLOPs bands: max draws must be at least 1, got {MaxDraws}.");
    }
}

/// <summary>SPOS: one path per step, each choice of each layer drawn uniformly and independently.</summary>
public sealed class UniformPathSampler : IPathSampler
{
    private readonly ISearchSpace _space;
    private readonly long _seed;
    private readonly FlopsBands? _bands;
    private readonly double _minFlops, _maxFlops;

    public UniformPathSampler(ISearchSpace space, long seed, FlopsBands? bands = null)
    {
        _space = space;
        _seed = seed;
        _bands = bands;
        if (bands is not null)
        {
            bands.Validate();
            _minFlops = bands.CostModel.Minimum(CostMetrics.Flops);
            _maxFlops = bands.CostModel is AdditiveCostModel additive ? additive.Maximum(CostMetrics.Flops) : double.NaN;
            if (double.IsNaN(_maxFlops)) throw new ArgumentException("FLOPs bands need an additive FLOPs cost model.");
        }
    }

    public string Method => PathSamplers.Spos;
    public int PathsPerStep => 1;

    /// <summary>Draws rejected by the last <see cref="Sample"/> call (for tests and metrics).</summary>
    public int LastRejections { get; private set; }

    /// <summary>FLOPs range [low, high) of the band the last <see cref="Sample"/> call aimed at (null without bands).</summary>
    public (double Low, double High)? LastBand { get; private set; }

    public IReadOnlyList<Architecture> Sample(long step)
    {
        var rng = DeterministicRandom.For(_seed, "spos-path", step);
        LastRejections = 0;
        if (_bands is null) return [Draw(rng)];
        var band = rng.NextInt(_bands.Count);
        var width = (_maxFlops - _minFlops) / _bands.Count;
        var low = _minFlops + band * width;
        var high = band == _bands.Count - 1 ? double.PositiveInfinity : low + width;
        LastBand = (low, high);
        Architecture path = Draw(rng);
        for (var draw = 1; draw <= _bands.MaxDraws; draw++)
        {
            var flops = _bands.CostModel.Cost(CostMetrics.Flops, path);
            if (flops >= low && flops < high) return [path];
            LastRejections++;
            if (draw < _bands.MaxDraws) path = Draw(rng);
        }
        return [path];
    }

    private Architecture Draw(DeterministicRandom rng) =>
        new(_space.ChoiceCounts.Select(rng.NextInt).ToArray());
}
