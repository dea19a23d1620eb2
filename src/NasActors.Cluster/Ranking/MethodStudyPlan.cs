using System.Globalization;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Core.Controllers;
using NasActors.Core.Ranking;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Ranking;

namespace NasActors.Cluster.Ranking;

/// <summary>
/// A method study as searches of the actor system. The same K architectures (controller <c>stratified</c>, same space and
/// sample seed) are trained stand-alone once per seed (<c>{name}-standalone-s1..sN</c>, evaluation kind <c>standalone</c>:
/// the reference) and scored with each method's supernet (<c>{name}-{method}</c>: trained by its search's trainer with
/// the same data, seed and image budget, candidates scored with inherited or generated weights by evaluators). A method
/// that learns a distribution then has its argmax trained stand-alone with the same seeds
/// (<c>{name}-{method}-derived-sN</c>, a <c>stratified</c> search given that one architecture). Evaluators anywhere in
/// the cluster take the trainings and scorings, trainer nodes the supernets; every result is journaled as it arrives,
/// so a study resumes where it was.
/// </summary>
public sealed record MethodStudyPlan(string Name, MethodStudyOptions Options)
{
    /// <summary>The parts of the reference, one per seed: <c>standalone-s1</c> ...</summary>
    public IReadOnlyList<string> StandaloneParts => Enumerable.Range(1, Options.Seeds).Select(s => $"standalone-s{s}").ToArray();

    /// <summary>The parts of the methods, in the order a single node runs them.</summary>
    public IReadOnlyList<string> MethodParts => Options.Methods.Select(m => m.Trim().ToLowerInvariant()).ToArray();

    /// <summary>Parts known before any result: the reference, then the methods.</summary>
    public IReadOnlyList<string> FirstParts => [.. StandaloneParts, .. MethodParts];

    public static string DerivedPart(string method, int seedIndex) => $"{method}-derived-s{seedIndex + 1}";

    /// <summary>The search id of a part: <c>{name}-{part}</c>.</summary>
    public string SearchId(string part) => $"{Name}-{part}";

    /// <summary>The longest suffix a part adds to the study's name (search ids have a length limit).</summary>
    public const int LongestSuffix = 24; // "-proxylessnas-derived-s9"

    private BlockSpace Space => BlockSpaces.Get(Options.Space);

    private Dictionary<string, string> Sample(int count, IReadOnlyList<string>? given = null)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["count"] = count.ToString(CultureInfo.InvariantCulture),
            ["sample-seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
        };
        if (given is not null) settings["architectures"] = string.Join(",", given);
        return settings;
    }

    private EvaluationSpec Scoring(EvaluationKind kind)
    {
        var o = Options;
        return new EvaluationSpec(kind, TimeSpan.Zero, null, null, [], 0,
            o.Scoring.RecalibrationBatches, o.Scoring.RecalibrationBatchSize, o.Scoring.EvaluationBatchSize,
            o.StandaloneEpochs, o.StandaloneBatchSize, o.StandaloneLearningRate, o.StandaloneWeightDecay, o.TrainImages);
    }

    private TrainingSpec Training(string method)
    {
        var supernet = Options.SupernetOptions(method, Space);
        return new TrainingSpec(supernet.Method, supernet.Steps, supernet.BatchSize, supernet.LearningRate, supernet.WarmupSteps,
            Options.CheckpointEveryFor(method, Space), EvaluateOn.Final, supernet.MeanGradientOverPaths, WeightDecay: supernet.WeightDecay,
            // Only Single-Path NAS gets the table: FBNet's loss needs latencies above 1 (its log) and ProxylessNAS a target
            // latency, settings of their own; without a table they train without their latency term.
            MethodSettings: method == "spnas" && Options.LatencyTable is { } table ? new Dictionary<string, string> { [SearchSetup.LatencyTableKey] = table } : null);
    }

    // Stand-alone searches train no supernet; their spec's training only has to be valid, and must not depend on the
    // methods compared (the same reference serves any --methods).
    private TrainingSpec NoTraining => new("spos", 1, Options.StandaloneBatchSize, Options.StandaloneLearningRate, 0, 0, EvaluateOn.Final);

    /// <summary>Stand-alone training of the K architectures with seed index <paramref name="seedIndex"/> (0-based).</summary>
    public SearchSpec StandaloneSpec(int seedIndex)
    {
        if (seedIndex < 0 || seedIndex >= Options.Seeds) throw new ArgumentOutOfRangeException(nameof(seedIndex));
        var o = Options;
        // The training is not used (no supernet); it only has to be valid.
        return new SearchSpec($"{Name} (stand-alone, seed {seedIndex + 1})", o.Space, o.ReferenceDataset, ControllerNames.Stratified,
            Sample(o.Architectures), o.Architectures, [], o.Standalone(seedIndex).Seed, NoTraining,
            Scoring(EvaluationKind.Standalone), MaxAttempts: 3, TopK: o.Architectures);
    }

    /// <summary>The K architectures scored with a method's supernet.</summary>
    public SearchSpec MethodSpec(string method)
    {
        var o = Options;
        return new SearchSpec($"{Name} ({method})", o.Space, o.Dataset, ControllerNames.Stratified, Sample(o.Architectures),
            o.Architectures, [], o.Seed, Training(method), Scoring(EvaluationKind.Torch), MaxAttempts: 3, TopK: o.Architectures);
    }

    /// <summary>A method's derived architecture trained stand-alone with seed index <paramref name="seedIndex"/>.</summary>
    public SearchSpec DerivedSpec(string method, int seedIndex, string architecture)
    {
        var o = Options;
        return new SearchSpec($"{Name} ({method} derived, seed {seedIndex + 1})", o.Space, o.ReferenceDataset, ControllerNames.Stratified,
            Sample(1, [architecture]), 1, [], o.Standalone(seedIndex).Seed, NoTraining,
            Scoring(EvaluationKind.Standalone), MaxAttempts: 3, TopK: 1);
    }

    /// <summary>The spec of any part by its name.</summary>
    public SearchSpec Spec(string part, Func<string, string?>? derivedArchitecture = null)
    {
        var standalone = StandaloneParts.ToList().IndexOf(part);
        if (standalone >= 0) return StandaloneSpec(standalone);
        if (MethodParts.Contains(part)) return MethodSpec(part);
        var derived = part.LastIndexOf("-derived-s", StringComparison.Ordinal);
        if (derived > 0 && MethodParts.Contains(part[..derived])
            && int.TryParse(part[(derived + 10)..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s >= 1 && s <= Options.Seeds
            && derivedArchitecture?.Invoke(part[..derived]) is { } architecture)
            return DerivedSpec(part[..derived], s - 1, architecture);
        throw new ArgumentException($"Unknown study part '{part}' (known: {string.Join(", ", FirstParts)}, METHOD-derived-sN).");
    }

    /// <summary>
    /// The study's numbers from its parts' results: the reference is every architecture trained in every seed (the
    /// others are left out and named), accuracies as fractions; a method's row is failed with the reason when its search
    /// did not complete or none of its scorings succeeded.
    /// </summary>
    public (MethodStudyReport Report, IReadOnlyList<string> LeftOut) Report(IReadOnlyDictionary<string, SearchReplies.SearchResults> results,
        IReadOnlyDictionary<string, PartCost> costs)
    {
        // A study stopped by its time limit may lack parts: seeds with no result yet are left out, methods unfinished.
        var seeds = StandaloneParts.Where(p => results.TryGetValue(p, out var r) && r.Evaluations.Any(e => !e.Failed))
            .Select(p => results[p].Evaluations.Where(e => !e.Failed).ToDictionary(e => e.Architecture)).ToArray();
        if (seeds.Length == 0) throw new MethodStudyException("The study has no stand-alone result yet (time limit?): no report.");
        var reference = new List<ReferenceArchitecture>();
        var leftOut = new List<string>();
        foreach (var e in results[StandaloneParts[0]].Evaluations.OrderBy(e => e.JobId))
        {
            if (seeds.Any(s => !s.ContainsKey(e.Architecture))) { leftOut.Add(e.Text); continue; }
            reference.Add(new ReferenceArchitecture(e.Text, e.Flops, e.Params, seeds.Select(s => s[e.Architecture].Accuracy / 100).ToArray()));
        }
        var byText = reference.ToDictionary(r => r.Architecture);
        var space = Space;
        var outcomes = MethodParts.Select(m =>
        {
            var cost = costs.GetValueOrDefault(m);
            var supernet = Options.SupernetOptions(m, space);
            var images = supernet.Steps * supernet.BatchSize * MethodStudyOptions.WeightBatchesPerStep(m, space);
            var none = new Dictionary<string, double>();
            if (!results.TryGetValue(m, out var r) || !SearchStatusNames.IsFinal(r.Status))
                return new MethodOutcome(m, $"not finished within the time limit (search {r?.Status ?? "not started"})", cost?.Seconds, images,
                    cost?.PeakMemoryBytes, none, null, null, null, null, null) { Unfinished = true, CpuSeconds = cost?.CpuSeconds };
            var scored = r.Evaluations.Where(e => !e.Failed).ToArray();
            string? failure = r.Status != SearchStatusNames.Completed
                ? $"search {r.Status}: {r.FailureReason ?? "no reason recorded"}"
                : scored.Length == 0 ? $"every scoring failed: {r.Evaluations.FirstOrDefault()?.FailureReason}" : null;
            if (failure is not null)
                return new MethodOutcome(m, failure, cost?.Seconds, images, cost?.PeakMemoryBytes, none, null, null, null, null, null) { CpuSeconds = cost?.CpuSeconds };
            // By architecture, not by arrival: a resumed study writes the same document.
            var scores = new SortedDictionary<string, double>(scored.ToDictionary(e => e.Text, e => e.Accuracy / 100), StringComparer.Ordinal);
            string found, foundBy;
            double? flops, @params;
            IReadOnlyList<double>? accuracies;
            if (r.Export is { } export)
            {
                var arch = Core.Spaces.Architecture.ParseChoiceString(export.Picked);
                found = space.Format(arch);
                foundBy = export.Argmax is not null ? "derived (argmax)" : "derived (the method's first)";
                var model = space.CostModel();
                flops = model.Cost(Core.Costs.CostMetrics.Flops, arch);
                @params = model.Cost(Core.Costs.CostMetrics.Params, arch);
                accuracies = byText.TryGetValue(found, out var known)
                    ? known.SeedAccuracies
                    : Enumerable.Range(0, Options.Seeds).Select(s => results.TryGetValue(DerivedPart(m, s), out var d)
                        ? d.Evaluations.FirstOrDefault(e => !e.Failed)?.Accuracy / 100 : null)
                        .Where(a => a is not null).Select(a => a!.Value).ToArray();
            }
            else
            {
                var best = scored.Where(e => byText.ContainsKey(e.Text)).OrderByDescending(e => e.Accuracy).ThenBy(e => e.JobId).FirstOrDefault();
                found = best?.Text ?? scored.OrderByDescending(e => e.Accuracy).First().Text;
                foundBy = "best scored";
                flops = best?.Flops;
                @params = best?.Params;
                accuracies = best is null ? null : byText[best.Text].SeedAccuracies;
            }
            return new MethodOutcome(m, null, cost?.Seconds, images, cost?.PeakMemoryBytes, scores, found, foundBy, flops, @params, accuracies)
            {
                CpuSeconds = cost?.CpuSeconds,
                FoundLatency = Options.LatencyTable is { } table
                    ? Torch.Methods.LatencyLoss.ReadTable(table, space).Cost(Core.Costs.CostMetrics.Latency, Core.Spaces.Architecture.ParseChoiceString(found))
                    : null,
            };
        }).ToArray();
        return (MethodStudyReport.Compute(reference, outcomes, Options.Resamples, Options.Level, Options.TopFraction, Options.Seed), leftOut);
    }
}
