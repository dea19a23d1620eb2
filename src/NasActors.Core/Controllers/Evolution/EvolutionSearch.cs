using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers.Evolution;

/// <summary>Settings of <c>evolution</c>, with the SPOS defaults.</summary>
public sealed record EvolutionSettings(
    int Population = 50, int TopK = 10, int MutationChildren = 25, int CrossoverChildren = 25,
    double MutationProbability = 0.1, int Generations = 20, int MaxTries = 500)
{
    public static EvolutionSettings Read(SettingsReader r)
    {
        var s = new EvolutionSettings(
            r.Int("population", 50, min: 1),
            r.Int("top_k", 10, min: 1),
            r.Int("mutation_children", 25, min: 0),
            r.Int("crossover_children", 25, min: 0),
            r.Double("mutation_prob", 0.1, min: 0, max: 1),
            r.Int("generations", 20, min: 1),
            r.Int("max_tries", 500, min: 1));
        r.Require(s.MutationChildren + s.CrossoverChildren <= s.Population, "population",
            $"{s.Population} is less than mutation_children + crossover_children = {s.MutationChildren + s.CrossoverChildren}");
        return s;
    }
}

/// <summary>
/// The SPOS evolutionary search: generation 0 is random; every later generation takes the top-k architectures
/// evaluated so far as parents and makes mutation children (each decision changes with the mutation probability),
/// uniform-crossover children of two distinct parents, and random architectures up to the population size.
/// A child that violates the constraints or was already proposed is rejected and redrawn (at most max_tries times).
/// The children come from <see cref="EvolutionOffspring.Produce"/>, here or, once <see cref="DelegateOffspring"/>
/// was called, from whoever answers <see cref="OffspringWanted"/> (the cluster's mutator actors).
/// </summary>
public sealed class EvolutionSearch(SearchContext context, EvolutionSettings settings)
    : BatchController(ControllerNames.Evolution, context), IOffspringController
{
    private bool _delegated;
    private IReadOnlyList<Architecture>? _offspring;

    public EvolutionSettings Settings { get; } = settings;

    protected override bool ScheduleFinished(int nextBatch) => nextBatch >= Settings.Generations;

    public void DelegateOffspring()
    {
        if (EvaluationsUsed > 0 || Pending > 0 || CurrentBatch > 0)
            throw new InvalidOperationException("Offspring can be delegated only before the search starts.");
        _delegated = true;
    }

    protected override bool WaitsForInput(int batch) => _delegated && batch > 0;

    public OffspringRequest? OffspringWanted => IsWaiting ? Request(CurrentBatch) : null;

    public string? OffspringProblem(int batch, IReadOnlyList<Architecture> children)
    {
        if (!IsWaiting) return $"the search waits for no offspring (generation {batch} given)";
        if (batch != CurrentBatch) return $"the search waits for the offspring of generation {CurrentBatch}, not {batch}";
        var size = GenerationSize(batch);
        if (children.Count > size) return $"{children.Count} children for a generation of {size}";
        var seen = new List<Architecture>();
        foreach (var c in children)
        {
            if (!Space.Contains(c)) return $"child '{c}' is not an architecture of space '{Space.Name}'";
            if (!IsNew(c, seen)) return $"child '{Space.Format(c)}' is infeasible, proposed before or repeated";
            seen.Add(c);
        }
        return null;
    }

    public void ProvideOffspring(int batch, IReadOnlyList<Architecture> children)
    {
        if (OffspringProblem(batch, children) is { } problem) throw new ArgumentException($"Offspring refused: {problem}.", nameof(children));
        _offspring = children;
        InputArrived();
    }

    private int GenerationSize(int batch) => Math.Min(Settings.Population, RemainingBudget);

    private OffspringRequest Request(int batch) => new(batch,
        Successful.OrderBy(e => e, Comparer<Evaluation>.Create(Evaluation.CompareBestFirst)).Take(Settings.TopK).Select(e => e.Architecture).ToArray(),
        ProposedSoFar, Settings.MutationChildren, Settings.CrossoverChildren, Settings.MutationProbability, Settings.MaxTries,
        GenerationSize(batch));

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var children = new List<Architecture>();
        if (batch > 0) children.AddRange(_offspring ?? EvolutionOffspring.Produce(Request(batch), Context));
        _offspring = null;
        FillWithNew(Random("random", batch), children, GenerationSize(batch));
        return children;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
