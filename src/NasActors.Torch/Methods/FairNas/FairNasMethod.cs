using NasActors.Torch.Sampling;

namespace NasActors.Torch.Methods.FairNas;

/// <summary>FairNAS strict fairness: every choice of every layer trains exactly once per step (m paths, m batches).</summary>
public sealed class FairNasMethod(MethodContext context) : PathSamplingMethod(context, StrictSampler(context))
{
    public static TrainingMethodInfo Info { get; } = new(PathSamplers.FairNas,
        "strict fairness: every choice once per step", ArchitectureFraction: 0, c => new FairNasMethod(c));

    public override string Name => PathSamplers.FairNas;

    private static FairPathSampler StrictSampler(MethodContext context) =>
        context.Options.FlopsBands > 0
            ? throw new ArgumentException("FLOPs bands apply to SPOS sampling only; strict fairness samples every choice.")
            : new FairPathSampler(context.Space, context.Options.Seed);
}
