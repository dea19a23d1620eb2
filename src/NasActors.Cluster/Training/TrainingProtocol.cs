using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;
using NasActors.Core.Spaces;

namespace NasActors.Cluster.Training;

/// <summary>Population -> trainer, and what the trainer tells its population.</summary>
public static class TrainingProtocol
{
    /// <summary>Train (or go on training) the supernet of a search; repeated, it answers with where training is.</summary>
    public sealed record StartTraining(string SearchId, SearchSpec Spec) : IWithSearchId, INasMessage;

    /// <summary>Population -> trainer: the search is over (or cancelled); stop training.</summary>
    public sealed record StopTraining(string SearchId) : IWithSearchId, INasMessage;

    /// <summary>Progress after a step (not persisted).</summary>
    public sealed record TrainingProgressed(string SearchId, long Step, long Steps, double Loss, double Accuracy, double ImagesPerSecond)
        : IWithSearchId, INasMessage;

    public sealed record TrainingFailed(string SearchId, string Reason) : IWithSearchId, INasMessage;
}

/// <summary>Marker of the trainer's journaled events (persistence id <c>trainer-{search id}</c>).</summary>
public interface ITrainingEvent : IWithSearchId, INasMessage;

public static class TrainingEvents
{
    public sealed record TrainingStarted(string SearchId, string Method, long Steps) : ITrainingEvent;

    /// <summary>A checkpoint was written and verified; also sent to the population. <see cref="Distribution"/>: what a
    /// method with architecture parameters had learned at that checkpoint (null for the others, and in older journals).</summary>
    public sealed record CheckpointSaved(string SearchId, CheckpointRef Checkpoint, double Loss, double Accuracy,
        ArchitectureExport? Distribution = null) : ITrainingEvent;

    /// <summary>Training is over; also sent to the population (again, on every StartTraining after it), with the final
    /// checkpoint's distribution for methods that learn one.</summary>
    public sealed record TrainingCompleted(string SearchId, CheckpointRef Checkpoint, ArchitectureExport? Distribution = null) : ITrainingEvent;
}

/// <summary>An architecture and its probability under an exported distribution (choice string).</summary>
public sealed record ProbableChoice(string Architecture, double Probability) : INasMessage;

/// <summary>
/// What a training method exports at a checkpoint. A method with architecture parameters (DARTS, ProxylessNAS, FBNet,
/// ...) exports its distribution: per decision the probability of each choice, the argmax architecture, the
/// <see cref="Top"/> most probable architectures (choice strings, best first) and the mean normalised entropy (1
/// uniform, 0 decided). A method that derives architectures (ENAS: samples of its policy; Single-Path NAS: the one
/// its thresholds select) exports them in <see cref="Derived"/> (choice strings, in the method's order), and no
/// distribution (null probabilities, argmax, list and entropy). Journaled with the checkpoint; the probabilities are
/// the distribution (JSON keeps every double exactly), the rest is for readers.
/// </summary>
public sealed record ArchitectureExport(IReadOnlyList<double[]>? Probabilities, string? Argmax, IReadOnlyList<ProbableChoice>? MostProbable,
    double? Entropy, IReadOnlyList<string>? Derived = null) : INasMessage
{
    /// <summary>How many of the most probable architectures an export lists.</summary>
    public const int Top = 5;

    public static ArchitectureExport From(ArchitectureDistribution d) => new(d.Probabilities.Select(p => (double[])p.Clone()).ToArray(),
        d.Argmax().ToString(), d.MostProbable(Top).Select(p => new ProbableChoice(p.Architecture.ToString(), p.Probability)).ToArray(),
        d.NormalizedEntropy());

    /// <summary>The export of a method's distribution and derived architectures; null when it has neither.</summary>
    public static ArchitectureExport? From(ArchitectureDistribution? distribution, IReadOnlyList<Architecture> derived)
    {
        var derivedText = derived.Count == 0 ? null : derived.Select(a => a.ToString()).ToArray();
        if (distribution is not null) return From(distribution) with { Derived = derivedText };
        return derivedText is null ? null : new ArchitectureExport(null, null, null, null, derivedText);
    }

    /// <summary>The architecture the method picks: its distribution's argmax, else its first derived architecture.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Picked => Argmax ?? Derived?.FirstOrDefault()
        ?? throw new InvalidOperationException("An architecture export has neither an argmax nor derived architectures.");

    /// <summary>The distribution itself (null when the method exported none); throws <see cref="ArgumentException"/> when a stored vector is not one.</summary>
    public ArchitectureDistribution? ToDistribution() => Probabilities is null ? null : new(Probabilities);

    /// <summary>The derived architectures (empty when the method derived none); throws <see cref="FormatException"/> on a bad choice string.</summary>
    public IReadOnlyList<Architecture> DerivedArchitectures() => (Derived ?? []).Select(Architecture.ParseChoiceString).ToArray();

    /// <summary>One line for readers (<paramref name="format"/>: a choice string as the space writes it): the argmax
    /// and entropy, or the first derived architectures.</summary>
    public string Describe(Func<string, string> format)
    {
        var derived = Derived ?? [];
        var list = string.Join(", ", derived.Take(3).Select(format)) + (derived.Count > 3 ? ", ..." : "");
        return Argmax is not null
            ? $"argmax {format(Argmax)}, entropy {Entropy:F2}" + (derived.Count > 0 ? $"; {derived.Count} derived" : "")
            : $"{derived.Count} derived: {list}";
    }
}
