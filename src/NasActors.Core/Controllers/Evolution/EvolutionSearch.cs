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
/// </summary>
public sealed class EvolutionSearch(SearchContext context, EvolutionSettings settings) : BatchController(ControllerNames.Evolution, context)
{
    public EvolutionSettings Settings { get; } = settings;

    protected override bool ScheduleFinished(int nextBatch) => nextBatch >= Settings.Generations;

    protected override IReadOnlyList<Architecture> NextBatch(int batch, int maxCount)
    {
        var size = Math.Min(Settings.Population, maxCount);
        var children = new List<Architecture>();
        var parents = Successful.OrderBy(e => e, Comparer<Evaluation>.Create(Evaluation.CompareBestFirst))
            .Take(Settings.TopK).Select(e => e.Architecture).ToArray();
        if (batch > 0)
            EvolutionChildren.Produce(parents, Space, Settings.MutationProbability, Settings.MutationChildren,
                Settings.CrossoverChildren, Settings.MaxTries, size, Random("mutation", batch), Random("crossover", batch),
                child =>
                {
                    if (!IsNew(child, children)) return false;
                    children.Add(child);
                    return true;
                });
        var fill = Random("random", batch);
        FillWithNew(fill, children, size);
        return children;
    }

    protected override void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results) { }
}
