using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Reinforce;

/// <summary>
/// Settings of <c>reinforce</c>: learning rate, baseline decay, entropy weight, architectures sampled per policy
/// update, and whether advantages are divided by the moving standard deviation of rewards (so one learning rate
/// works whatever the signal's units: accuracy in percent or as a fraction).
/// </summary>
public sealed record ReinforceSettings(double LearningRate = 0.1, double BaselineDecay = 0.9, double EntropyWeight = 0.01,
    int Batch = 1, bool NormalizeAdvantage = true, int MaxTries = 100)
{
    public static ReinforceSettings Read(SettingsReader r) => new(
        r.Double("learning_rate", 0.1, min: 0),
        r.Double("baseline_decay", 0.9, min: 0, max: 0.999999),
        r.Double("entropy_weight", 0.01, min: 0),
        r.Int("batch", 1, min: 1),
        r.Bool("normalize_advantage", true),
        r.Int("max_tries", 100, min: 1));
}

/// <summary>
/// A policy of independent softmax distributions, one per decision, trained with REINFORCE (Williams 1992): for
/// each evaluated architecture a, logits move by lr * (A * grad log p(a) + entropy_weight * grad H), where the
/// advantage A is the signal minus a moving-average baseline. A sample that was already proposed (or violates
/// the constraints) is redrawn; the policy learns only from new evaluations.
/// </summary>
public sealed class ReinforceSearch(SearchContext context, ReinforceSettings settings) : BatchController(ControllerNames.Reinforce, context)
{
    private readonly double[][] _logits = context.Space.ChoiceCounts.Select(m => new double[m]).ToArray();

    public ReinforceSettings Settings { get; } = settings;
    public MovingAverageBaseline Baseline { get; } = new(settings.BaselineDecay);

    /// <summary>The policy's probabilities of each choice of each decision.</summary>
    public double[][] Probabilities() => _logits.Select(Softmax).ToArray();

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var rng = Random("sample", batch);
        var probs = Probabilities();
        var picked = new List<Architecture>();
        var size = Math.Min(Settings.Batch, maxCount);
        for (var tries = 0; picked.Count < size && tries < Settings.MaxTries * size; tries++)
        {
            var choices = new int[probs.Length];
            for (var d = 0; d < probs.Length; d++) choices[d] = SampleIndex(probs[d], rng.NextDouble());
            var a = new Architecture(choices);
            if (IsNew(a, picked)) picked.Add(a);
        }
        FillWithNew(rng, picked, size);
        return picked;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results)
    {
        foreach (var e in results)
        {
            if (e.Failed) continue;
            var advantage = Baseline.Update(e.Signal);
            if (Settings.NormalizeAdvantage && Baseline.Variance > 0) advantage /= Math.Sqrt(Baseline.Variance);
            Step(e.Architecture, advantage);
        }
    }

    /// <summary>One REINFORCE step on one sampled architecture with its advantage.</summary>
    public void Step(Architecture a, double advantage)
    {
        for (var d = 0; d < _logits.Length; d++)
        {
            var p = Softmax(_logits[d]);
            var entropy = 0.0;
            foreach (var pi in p) if (pi > 0) entropy -= pi * Math.Log(pi);
            for (var c = 0; c < p.Length; c++)
            {
                var gradLogP = (c == a[d] ? 1.0 : 0.0) - p[c];
                var gradH = p[c] > 0 ? -p[c] * (Math.Log(p[c]) + entropy) : 0.0;
                _logits[d][c] += Settings.LearningRate * (advantage * gradLogP + Settings.EntropyWeight * gradH);
            }
        }
    }

    public static double[] Softmax(double[] logits)
    {
        var max = logits.Max();
        var e = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    private static int SampleIndex(double[] p, double u)
    {
        var acc = 0.0;
        for (var i = 0; i < p.Length; i++)
        {
            acc += p[i];
            if (u < acc) return i;
        }
        return p.Length - 1;
    }
}
