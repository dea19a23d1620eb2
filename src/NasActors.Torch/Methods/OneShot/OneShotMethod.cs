using NasActors.Core.Spaces;
using NasActors.Core.Determinism;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Families;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.OneShot;

/// <summary>
/// One-Shot (Bender et al., 2018): every choice of a layer runs and their outputs are combined, with path dropout per
/// example. At step s the rate is r_s = r * s / (steps - 1) (linear from 0 to r); each op of a layer (k ops, the
/// layer's inputs to its sum) is dropped for an example with probability r_s^(1/k), so the whole layer would be
/// dropped with probability r_s, and when that happens one op drawn uniformly is kept: never all of them. An
/// example's layer output is the mean of its kept ops' outputs (their sum over their number): every block carries its
/// own shortcut, which a plain sum would count k times, and a candidate scored with the other ops zeroed is then
/// exactly the path forward (what <see cref="Scoring.SubnetScorer"/> runs). An op dropped for the whole batch does not
/// run, so it gets no gradient and SGD gives it no weight decay (L2 only on the active ops). Every BatchNorm is a
/// ghost BatchNorm (<see cref="OneShotOptions.GhostBatchSize"/>). Draws are a pure function of (seed, step).
/// </summary>
public sealed class OneShotMethod : SgdTrainedMethod
{
    public const string MethodName = "oneshot";

    public static TrainingMethodInfo Info { get; } = new(MethodName,
        "every choice runs, outputs averaged under per-example path dropout growing to r; ghost BatchNorm",
        ArchitectureFraction: 0, c => new OneShotMethod(c))
    {
        ReadSettings = (o, r) => o with
        {
            OneShot = new OneShotOptions
            {
                DropPathRate = r.Double("drop-path-rate", o.OneShot.DropPathRate, min: 0, max: 1 - 1e-12),
                GhostBatchSize = r.Int("ghost-batch-size", o.OneShot.GhostBatchSize, min: 0),
            },
        },
    };

    public OneShotMethod(MethodContext context) : base(context)
    {
        Settings = context.Options.OneShot;
        foreach (var norm in Network.modules().OfType<PathBatchNorm>()) norm.GhostBatchSize = Settings.GhostBatchSize;
    }

    public override string Name => MethodName;
    public OneShotOptions Settings { get; }

    /// <summary>Per layer and choice, whether the op ran in the last step (kept for at least one example).</summary>
    public bool[][] LastActive { get; private set; } = [];

    /// <summary>r_s: the rate at step <paramref name="step"/>, growing linearly from 0 at the first step to r at the last.</summary>
    public double RateAt(long step) =>
        Context.Options.Steps <= 1 ? Settings.DropPathRate : Settings.DropPathRate * Math.Min(1.0, (double)step / (Context.Options.Steps - 1));

    /// <summary>The probability that one op of a layer with <paramref name="inputs"/> ops is dropped for an example, before the never-all rule.</summary>
    public static double OpDropProbability(double rate, int inputs) => rate <= 0 ? 0 : Math.Pow(rate, 1.0 / inputs);

    /// <summary>
    /// Which ops each example keeps at a step: [layer][example][choice]. Each op is dropped with probability
    /// r_s^(1/k); an example that would drop all keeps one drawn uniformly.
    /// </summary>
    public bool[][][] KeepMasks(long step, int examples)
    {
        var rng = DeterministicRandom.For(Context.Options.Seed, "oneshot-drop-path", step);
        var rate = RateAt(step);
        return Context.Space.ChoiceCounts.Select(k =>
        {
            var p = OpDropProbability(rate, k);
            return Enumerable.Range(0, examples).Select(_ =>
            {
                var keep = new bool[k];
                for (var c = 0; c < k; c++) keep[c] = !(rng.NextDouble() < p);
                if (!keep.Contains(true)) keep[rng.NextInt(k)] = true;
                return keep;
            }).ToArray();
        }).ToArray();
    }

    public override StepMetrics TrainStep(long step, double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        Network.zero_grad();
        using var batch = Context.Data.GetBatch(step, Context.Device);
        var masks = KeepMasks(step, batch.Size);
        LastActive = masks.Select(layer => Enumerable.Range(0, layer[0].Length).Select(c => layer.Any(e => e[c])).ToArray()).ToArray();
        var logits = Forward(batch.Images, masks, DropoutGenerator("dropout", step));
        var loss = CrossEntropy(logits, batch.Labels);
        return SgdStep(step, learningRate, batch, logits, loss);
    }

    /// <summary>The one-shot forward under keep masks ([layer][example][choice]).</summary>
    public Tensor Forward(Tensor images, bool[][][] masks, Generator? dropout = null) =>
        Network.Forward(images, (u, h) => MixLayer(u, h, masks[u.Decision]), dropout);

    /// <summary>Per example, the mean of the kept ops' outputs; ops no example keeps do not run.</summary>
    private Tensor MixLayer(ChoiceUnit unit, Tensor h, bool[][] keep)
    {
        var k = keep[0].Length;
        Tensor? sum = null;
        for (var c = 0; c < k; c++)
        {
            var weights = keep.Select(e => e[c] ? 1f / e.Count(v => v) : 0f).ToArray();
            if (weights.All(w => w == 0)) continue;
            var output = Network.Block(unit, c).call(h);
            using var w = torch.tensor(weights, device: h.device).to(output.dtype).view(-1, 1, 1, 1);
            var term = output.mul(w);
            sum = sum is null ? term : sum.add(term);
        }
        return sum!;
    }
}
