using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Supernet.Families;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.ProxylessNas;

/// <summary>
/// ProxylessNAS (Cai et al., 2019) on a block space, with binarized gates. The weight step samples one choice per
/// layer from softmax(alpha) and runs only that path (the memory of one path). The architecture step is the paper's
/// two-path mode: per layer, two distinct candidates drawn from softmax(alpha), one of them made active by its share
/// of the two's softmax; both run, gated by the one-hot gates, so the loss's gradient reaches both gates, and the
/// gates' gradients become the two alphas' (dL/dalpha_i = sum_j dL/dg_j p_j (delta_ij - p_i) over the pair). After the
/// Adam step only the two alphas move, and they are shifted so that their summed exp is unchanged: every other
/// choice's probability stays what it was. Latency (optional table): expected LAT = sum of softmax(alpha) x table per
/// layer, in the additive (CE + lambda (LAT - ref)/ref) or multiplicative (CE alpha (log LAT / log ref)^beta) form, the
/// latter with LAT and ref in a unit where both exceed 1 (<see cref="LatencyLoss.LogUnit"/>).
/// Alpha: Adam 1e-3, betas (0, 0.999), no weight decay, initialised as 1e-3 * N(0, 1).
/// </summary>
public sealed class ProxylessNasMethod : DifferentiableMethod
{
    public const string MethodName = "proxylessnas";

    public static ArchitectureDefaults Defaults { get; } = new(1e-3, 0, 0.999, 0, 1e-3);

    public static TrainingMethodInfo Info { get; } = new(MethodName,
        "binarized gates: one path per weight step, two-path architecture steps, latency-aware loss",
        ArchitectureFraction: 0.5, c => new ProxylessNasMethod(c))
        {
            Recipe = Recipe,
            ReadSettings = ReadSettings,
        };

    /// <summary>The common settings (<see cref="DifferentiableMethod.ReadCommonSettings"/>) and the latency loss's
    /// (<see cref="DifferentiableMethod.ReadLatencySettings"/>); a latency table needs <c>latency-reference</c>.</summary>
    public static SupernetTrainingOptions ReadSettings(SupernetTrainingOptions options, Core.Controllers.SettingsReader r)
    {
        var o = ReadLatencySettings(ReadCommonSettings(options, r, Recipe), r,
            ["latency-table", "latency-loss", "latency-reference", "latency-lambda", "latency-alpha", "latency-beta", "latency-unit"]);
        r.Require(o.Architecture.LatencyTable is null || o.Architecture.LatencyReference is not null, "latency-reference",
            "a latency table needs the reference (target) latency in ms of the latency loss");
        return o;
    }

    /// <summary>ProxylessNAS's published weight recipe: SGD 0.025 cosine, momentum 0.9, weight decay 4e-5, label smoothing 0.1.</summary>
    public static SupernetTrainingOptions Recipe(SupernetTrainingOptions options) => options with
    {
        Method = MethodName, LearningRate = 0.025, Momentum = 0.9, WeightDecay = 4e-5, LabelSmoothing = 0.1, Decay = LearningRateDecay.Cosine,
    };

    private readonly (double Fixed, double[][] PerChoice)? _latency;

    public ProxylessNasMethod(MethodContext context) : base(context, Defaults)
    {
        if (context.Latency is { } table)
        {
            _latency = LatencyLoss.Table(table, context.Space.ChoiceCounts);
            var a = context.Options.Architecture;
            if (a.LatencyReference is not { } reference)
                throw new ArgumentException("ProxylessNAS with a latency table needs a latency reference, the target latency in ms " +
                                            "(nas train --latency-reference, or latency-reference in a spec's training.proxylessnas block).");
            // The log form measures latency in a unit where both the fastest architecture and the reference exceed 1.
            if (a.LatencyLoss != "additive")
                LatencyUnit = LatencyLoss.LogUnit(Math.Min(LatencyLoss.Fastest(_latency.Value), reference), a.LatencyUnit);
        }
    }

    /// <summary>The unit (ms) of LAT and ref in the multiplicative form's logs (<see cref="LatencyLoss.LogUnit"/>).</summary>
    public double LatencyUnit { get; } = 1;

    public override string Name => MethodName;

    /// <summary>The (active, inactive) candidates of every layer in the last architecture step.</summary>
    public IReadOnlyList<(int Active, int Inactive)> LastPairs { get; private set; } = [];

    /// <summary>The path of a weight step: one choice per layer drawn from softmax(alpha).</summary>
    public Architecture WeightPath(long step)
    {
        var rng = DeterministicRandom.For(Context.Options.Seed, "proxyless-weight-path", step);
        return new Architecture(Distribution!.Probabilities.Select(p => Draw(rng, p, exclude: -1)));
    }

    protected override Tensor WeightForward(Tensor images, long step, Generator dropout) =>
        Network.Forward(images, WeightPath(step), dropout);

    public override void ArchitectureStep(long step, double weightLearningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        var probabilities = Distribution!.Probabilities;
        var rng = DeterministicRandom.For(Context.Options.Seed, "proxyless-architecture-pairs", step);
        var pairs = new (int Active, int Inactive)[Alphas.Count];
        var shares = new double[Alphas.Count][];
        var gates = new Tensor[Alphas.Count];
        for (var l = 0; l < Alphas.Count; l++)
        {
            var first = Draw(rng, probabilities[l], exclude: -1);
            var second = Draw(rng, probabilities[l], exclude: first);
            var (a, b) = (Alphas[l][first].item<float>(), Alphas[l][second].item<float>());
            var shareFirst = 1 / (1 + Math.Exp((double)b - a));
            pairs[l] = rng.NextDouble() < shareFirst ? (first, second) : (second, first);
            shares[l] = pairs[l].Active == first ? [shareFirst, 1 - shareFirst] : [1 - shareFirst, shareFirst];
            gates[l] = torch.tensor(new float[] { 1, 0 }, device: Context.Device).requires_grad_();
        }
        LastPairs = pairs;

        using var batch = ArchitectureData.GetBatch(step, Context.Device);
        var loss = ArchitectureLoss(batch, x => Network.Forward(x, (u, h) =>
        {
            var (l, pair) = (u.Decision, pairs[u.Decision]);
            using var active = Network.Block(u, pair.Active).call(h);
            using var inactive = Network.Block(u, pair.Inactive).call(h);
            return active.mul(gates[l][0]).add(inactive.mul(gates[l][1]));
        }, DropoutGenerator("proxyless-architecture-dropout", step)));
        if (_latency is { } table)
        {
            var a = Context.Options.Architecture;
            var latency = LatencyLoss.Expected(Softmaxes(detach: false), table);
            loss = a.LatencyLoss == "additive"
                ? LatencyLoss.Additive(loss, latency, a.LatencyLambda ?? 0.1, a.LatencyReference!.Value)
                : LatencyLoss.Multiplicative(loss, latency.div(LatencyUnit), a.LatencyAlpha ?? 0.2, a.LatencyBeta ?? 0.3, a.LatencyReference!.Value / LatencyUnit);
        }
        var gradients = Gradients(loss, gates.Concat(Alphas).ToList());
        var before = Alphas.Select(alpha => alpha.detach().clone()).ToArray();
        var alphaGradients = new Tensor[Alphas.Count];
        for (var l = 0; l < Alphas.Count; l++)
        {
            var gateGradient = gradients[l]!.to(ScalarType.Float64).cpu().data<double>().ToArray();
            var direct = gradients[Alphas.Count + l] is { } g ? g.to(ScalarType.Float64).cpu().data<double>().ToArray() : new double[Alphas[l].shape[0]];
            int[] involved = [pairs[l].Active, pairs[l].Inactive];
            var combined = new double[direct.Length];
            for (var i = 0; i < 2; i++)
            {
                combined[involved[i]] = direct[involved[i]];
                for (var j = 0; j < 2; j++)
                    combined[involved[i]] += gateGradient[j] * shares[l][j] * ((i == j ? 1 : 0) - shares[l][i]);
            }
            alphaGradients[l] = torch.tensor(combined, device: Context.Device).to(Alphas[l].dtype);
        }
        StepArchitecture(alphaGradients);
        Rescale(before, pairs);
    }

    /// <summary>Only the pair moves; it is shifted so that log(sum exp) over the pair is what it was.</summary>
    private void Rescale(Tensor[] before, (int Active, int Inactive)[] pairs)
    {
        using var noGrad = torch.no_grad();
        for (var l = 0; l < Alphas.Count; l++)
        {
            var old = before[l].to(ScalarType.Float64).cpu().data<double>().ToArray();
            var updated = Alphas[l].detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
            int[] involved = [pairs[l].Active, pairs[l].Inactive];
            var offset = Math.Log(involved.Sum(i => Math.Exp(updated[i])) / involved.Sum(i => Math.Exp(old[i])));
            var result = (double[])old.Clone();
            foreach (var i in involved) result[i] = updated[i] - offset;
            using var values = torch.tensor(result, device: Context.Device).to(Alphas[l].dtype);
            Alphas[l].copy_(values);
        }
    }

    /// <summary>A choice drawn from p (without <paramref name="exclude"/>, renormalised).</summary>
    private static int Draw(DeterministicRandom rng, double[] p, int exclude)
    {
        var total = p.Where((_, i) => i != exclude).Sum();
        var u = rng.NextDouble() * total;
        var last = -1;
        for (var i = 0; i < p.Length; i++)
        {
            if (i == exclude) continue;
            last = i;
            u -= p[i];
            if (u < 0) return i;
        }
        return last;
    }
}
