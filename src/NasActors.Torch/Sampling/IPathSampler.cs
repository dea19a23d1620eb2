using NasActors.Core.Spaces;

namespace NasActors.Torch.Sampling;

/// <summary>
/// Chooses the paths of the supernet trained at each step. The seam for one-shot training methods: SPOS and
/// FairNAS today, others (e.g. FLOPs-aware or learned samplers) later. The paths of a step are a pure function of
/// (seed, step), so a resumed training samples exactly what an uninterrupted one would.
/// </summary>
public interface IPathSampler
{
    /// <summary>The training method's name in specs: <c>spos</c>, <c>fairnas</c>.</summary>
    string Method { get; }

    /// <summary>Paths per optimizer step (1 for SPOS, m for FairNAS); each path takes its own batch.</summary>
    int PathsPerStep { get; }

    IReadOnlyList<Architecture> Sample(long step);
}

public static class PathSamplers
{
    public const string Spos = "spos";
    public const string FairNas = "fairnas";
    public static IReadOnlyList<string> Methods { get; } = [Spos, FairNas];

    /// <summary>The sampler of a training method; a clear error names the unknown method.</summary>
    public static IPathSampler Create(string method, ISearchSpace space, long seed, FlopsBands? bands = null) =>
        method.Trim().ToLowerInvariant() switch
        {
            Spos => new UniformPathSampler(space, seed, bands),
            FairNas => bands is null
                ? new FairPathSampler(space, seed)
                : throw new ArgumentException("FLOPs bands apply to SPOS sampling only; strict fairness samples every choice."),
            _ => throw new ArgumentException($"Unknown training method '{method}'. Known methods: {string.Join(", ", Methods)}."),
        };
}
