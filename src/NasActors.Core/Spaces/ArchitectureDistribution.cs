namespace NasActors.Core.Spaces;

/// <summary>An architecture and its probability under a <see cref="ArchitectureDistribution"/>.</summary>
public sealed record ProbableArchitecture(Architecture Architecture, double Probability);

/// <summary>
/// What a differentiable training method exports: one probability vector per decision (independent decisions). The
/// argmax architecture is DARTS's discretisation on block spaces (per layer, the most probable choice). Plain arrays,
/// in the core: the torch layer's methods produce it, the <c>derived</c> controller proposes from it.
/// </summary>
public sealed class ArchitectureDistribution
{
    public ArchitectureDistribution(IReadOnlyList<double[]> probabilities)
    {
        if (probabilities.Count == 0) throw new ArgumentException("A distribution needs at least one decision.");
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            if (p.Length == 0 || p.Any(v => !(v >= 0)) || Math.Abs(p.Sum() - 1) > 1e-4)
                throw new ArgumentException($"Decision {i}: [{string.Join(", ", p)}] is not a probability vector.");
        }
        Probabilities = probabilities.Select(p => (double[])p.Clone()).ToArray();
    }

    /// <summary>Per decision, the probability of each choice.</summary>
    public IReadOnlyList<double[]> Probabilities { get; }

    /// <summary>The most probable choice of every decision (the lowest index on ties).</summary>
    public Architecture Argmax() =>
        new(Probabilities.Select(p => Array.IndexOf(p, p.Max())));

    /// <summary>
    /// The distribution with <paramref name="choice"/> ruled out of every decision that has another choice: its
    /// probability moved to the others in proportion (DARTS's discretisation of a cell never keeps the zero op). A
    /// decision whose other choices all have probability 0 shares it equally among them.
    /// </summary>
    public ArchitectureDistribution Excluding(int choice) => new(Probabilities.Select(p =>
    {
        if (choice < 0 || choice >= p.Length || p.Length < 2) return p;
        var rest = p.Sum() - p[choice];
        return p.Select((v, c) => c == choice ? 0 : rest > 0 ? v / rest : 1.0 / (p.Length - 1)).ToArray();
    }).ToArray());

    /// <summary>Shannon entropy of each decision, in nats.</summary>
    public double[] Entropies() =>
        Probabilities.Select(p => -p.Where(v => v > 0).Sum(v => v * Math.Log(v))).ToArray();

    /// <summary>Mean entropy per decision as a fraction of its maximum (log m): 1 is uniform, 0 is decided.</summary>
    public double NormalizedEntropy() =>
        Entropies().Select((h, i) => Probabilities[i].Length > 1 ? h / Math.Log(Probabilities[i].Length) : 0).Average();

    /// <summary>
    /// The k most probable architectures, best first (ties in choice order). Exact: keeping the k best prefixes after
    /// every decision loses nothing, since a prefix beaten by k others cannot start one of the k best architectures.
    /// </summary>
    public IReadOnlyList<ProbableArchitecture> MostProbable(int k)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        var beam = new List<(int[] Choices, double LogP)> { ([], 0.0) };
        foreach (var p in Probabilities)
        {
            beam = beam
                .SelectMany(b => p.Select((v, c) => (Choices: b.Choices.Append(c).ToArray(), LogP: b.LogP + Math.Log(v))))
                .OrderByDescending(b => b.LogP).ThenBy(b => b.Choices, ChoiceOrder.Instance)
                .Take(k).ToList();
        }
        return beam.Select(b => new ProbableArchitecture(new Architecture(b.Choices), Math.Exp(b.LogP))).ToArray();
    }

    private sealed class ChoiceOrder : IComparer<int[]>
    {
        public static readonly ChoiceOrder Instance = new();
        public int Compare(int[]? x, int[]? y) => x!.AsSpan().SequenceCompareTo(y!);
    }
}
