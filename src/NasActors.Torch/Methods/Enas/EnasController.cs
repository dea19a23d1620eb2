using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.Enas;

/// <summary>A sampled architecture with the sum of its decisions' log-probabilities and entropies (differentiable).</summary>
public sealed record PolicySample(Architecture Architecture, Tensor LogProbability, Tensor Entropy);

/// <summary>
/// ENAS's controller (Pham et al., 2018): an LSTM cell that takes the decisions one after another. The first input is
/// a learned start embedding, each later one the embedding of the previous decision, so every decision is conditioned
/// on the earlier ones; decision i's logits are head_i(h), then c * tanh(logits / temperature). Lives on the CPU (it
/// is small, and CPU draws are the same on every node); initialised uniform in +-0.1 from a seeded generator.
/// </summary>
public sealed class EnasController : nn.Module
{
    private readonly LSTMCell cell;
    private readonly Parameter start;
    private readonly ModuleList<Embedding> embeddings;
    private readonly ModuleList<Linear> heads;
    private readonly int _hidden;

    public EnasController(IReadOnlyList<int> choiceCounts, int hiddenUnits, double temperature, double tanhConstant, long initSeed)
        : base("enas-controller")
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        _hidden = hiddenUnits;
        ChoiceCounts = choiceCounts.ToArray();
        Temperature = temperature;
        TanhConstant = tanhConstant;
        cell = nn.LSTMCell(hiddenUnits, hiddenUnits);
        start = new Parameter(torch.zeros(1, hiddenUnits));
        embeddings = nn.ModuleList(choiceCounts.Select(m => nn.Embedding(m, hiddenUnits)).ToArray());
        heads = nn.ModuleList(choiceCounts.Select(m => nn.Linear(hiddenUnits, m)).ToArray());
        RegisterComponents();
        using var generator = new Generator((ulong)initSeed);
        using var noGrad = torch.no_grad();
        foreach (var (_, p) in named_parameters())
        {
            using var values = torch.rand(p.shape, generator: generator).mul_(0.2).sub_(0.1);
            p.copy_(values);
        }
    }

    public IReadOnlyList<int> ChoiceCounts { get; }
    public double Temperature { get; }
    public double TanhConstant { get; }

    /// <summary>
    /// Runs the policy over every decision. With <paramref name="rng"/> each decision is drawn from its distribution;
    /// with <paramref name="forced"/> the given choices are taken (their log-probability); with neither, the most
    /// probable choice (greedy). <paramref name="probabilities"/>, when given, receives every decision's distribution.
    /// </summary>
    public PolicySample Run(DeterministicRandom? rng = null, Architecture? forced = null, List<double[]>? probabilities = null)
    {
        Tensor input = start;
        Tensor h = torch.zeros(1, _hidden), c = torch.zeros(1, _hidden);
        Tensor logProbability = torch.zeros(1), entropy = torch.zeros(1);
        var choices = new int[ChoiceCounts.Count];
        for (var i = 0; i < ChoiceCounts.Count; i++)
        {
            (h, c) = cell.call(input, (h, c));
            var logits = heads[i].call(h).div(Temperature);
            if (TanhConstant > 0) logits = logits.tanh().mul(TanhConstant);
            var logP = logits.log_softmax(-1).squeeze(0);
            var p = logP.detach().exp().to(ScalarType.Float64).data<double>().ToArray();
            probabilities?.Add(p);
            choices[i] = forced is not null ? forced[i] : rng is not null ? Draw(rng, p) : Array.IndexOf(p, p.Max());
            logProbability = logProbability.add(logP[choices[i]]);
            entropy = entropy.sub(logP.exp().mul(logP).sum());
            input = embeddings[i].call(torch.tensor(new long[] { choices[i] }));
        }
        return new PolicySample(new Architecture(choices), logProbability.squeeze(0), entropy.squeeze(0));
    }

    private static int Draw(DeterministicRandom rng, double[] p)
    {
        var u = rng.NextDouble();
        for (var i = 0; i < p.Length; i++)
        {
            u -= p[i];
            if (u < 0) return i;
        }
        return p.Length - 1;
    }
}
