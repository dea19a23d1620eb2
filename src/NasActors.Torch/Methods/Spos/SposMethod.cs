using NasActors.Torch.Sampling;

namespace NasActors.Torch.Methods.Spos;

/// <summary>Single Path One-Shot: one uniformly drawn path per step (optionally inside FLOPs bands).</summary>
public sealed class SposMethod(MethodContext context) : PathSamplingMethod(context,
    new UniformPathSampler(context.Space, context.Options.Seed,
        context.Options.FlopsBands > 0 ? new FlopsBands(context.Space.CostModel(), context.Options.FlopsBands) : null))
{
    public static TrainingMethodInfo Info { get; } = new(PathSamplers.Spos,
        "one uniform path per step", ArchitectureFraction: 0, c => new SposMethod(c))
    {
        // flops-bands: sample paths inside N FLOPs bands (0: unconstrained).
        ReadSettings = (o, r) => o with { FlopsBands = r.Int("flops-bands", o.FlopsBands, min: 0) },
    };

    public override string Name => PathSamplers.Spos;
}
