using NasActors.Core.Spaces;

namespace NasActors.Torch.Sampling;

/// <summary>
/// Chooses the paths of the supernet trained at each step. The sampling half of the path-sampling training methods
/// (SPOS, FairNAS; see <see cref="NasActors.Torch.Methods.PathSamplingMethod"/>). The paths of a step are a pure function of
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

/// <summary>The names of the path-sampling methods (<see cref="NasActors.Torch.Methods.TrainingMethods"/> registers them).</summary>
public static class PathSamplers
{
    public const string Spos = "spos";
    public const string FairNas = "fairnas";
}
