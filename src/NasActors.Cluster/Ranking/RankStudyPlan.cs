using System.Globalization;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Core.Controllers;
using NasActors.Core.Ranking;
using NasActors.Torch.Ranking;
using NasActors.Torch.Sampling;

namespace NasActors.Cluster.Ranking;

/// <summary>
/// A ranking study as searches of the actor system: the same K architectures (controller <c>stratified</c>, same
/// space, seed and K) evaluated three times: trained stand-alone (evaluation kind <c>standalone</c>: the ground truth),
/// and scored with inherited weights by an SPOS and by a FairNAS supernet (each trained by its search's trainer with
/// the same data, seed and per-choice budget). Evaluators anywhere in the cluster take the stand-alone trainings and the
/// scorings, trainer nodes the supernets; every result is journaled as it arrives, so a study resumes where it was.
/// </summary>
public sealed record RankStudyPlan(string Name, RankStudyOptions Options)
{
    public const string Standalone = "standalone";

    /// <summary>The parts of the study, in the order a single node runs them.</summary>
    public static IReadOnlyList<string> Parts { get; } = [Standalone, .. RankStudyOptions.Methods];

    /// <summary>The search id of a part: <c>{name}-{part}</c>.</summary>
    public string SearchId(string part) => $"{Name}-{part}";

    public SearchSpec Spec(string part)
    {
        var o = Options;
        var space = Core.Spaces.Blocks.BlockSpaces.Get(o.Space);
        var controller = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["count"] = o.Architectures.ToString(CultureInfo.InvariantCulture),
        };
        var scoring = new EvaluationSpec(EvaluationKind.Torch, TimeSpan.Zero, null, null, [], 0,
            o.Scoring.RecalibrationBatches, o.Scoring.RecalibrationBatchSize, o.Scoring.EvaluationBatchSize,
            o.StandaloneEpochs, o.StandaloneBatchSize, o.StandaloneLearningRate, o.StandaloneWeightDecay, o.TrainImages);
        var method = part == Standalone ? PathSamplers.FairNas : part;
        var supernet = o.SupernetOptions(method, space);
        var training = new TrainingSpec(method, supernet.Steps, supernet.BatchSize, supernet.LearningRate, supernet.WarmupSteps,
            o.CheckpointEveryFor(method, space), EvaluateOn.Final, supernet.MeanGradientOverPaths);
        var spec = new SearchSpec($"{Name} ({part})", o.Space, o.Dataset, ControllerNames.Stratified, controller, o.Architectures, [],
            o.Seed, training, part == Standalone ? scoring with { Kind = EvaluationKind.Standalone } : scoring, MaxAttempts: 3,
            TopK: o.Architectures);
        if (!Parts.Contains(part)) throw new ArgumentException($"Unknown study part '{part}' (known: {string.Join(", ", Parts)}).");
        return spec;
    }

    /// <summary>
    /// The statistics of the finished parts: one row per architecture evaluated in every part (failed evaluations are
    /// left out and counted), accuracies as fractions, stand-alone = test accuracy, supernets = validation accuracy.
    /// </summary>
    public (RankingReport Report, IReadOnlyList<string> LeftOut) Report(IReadOnlyDictionary<string, SearchReplies.SearchResults> results)
    {
        var byPart = Parts.ToDictionary(p => p, p => results.TryGetValue(p, out var r)
            ? r.Evaluations.Where(e => !e.Failed).ToDictionary(e => e.Architecture)
            : throw new ArgumentException($"The study has no results of part '{p}'."));
        var standalone = results[Standalone].Evaluations.OrderBy(e => e.JobId).ToArray();
        var rows = new List<Core.Ranking.StudiedArchitecture>();
        var leftOut = new List<string>();
        foreach (var s in standalone)
        {
            if (Parts.Any(p => !byPart[p].ContainsKey(s.Architecture))) { leftOut.Add(s.Text); continue; }
            rows.Add(new Core.Ranking.StudiedArchitecture(s.Text, s.Flops, s.Params, s.Accuracy / 100,
                RankStudyOptions.Methods.ToDictionary(m => m, m => byPart[m][s.Architecture].Accuracy / 100)));
        }
        return (RankingReport.Compute(rows, RankStudyOptions.Methods, Options.Resamples, Options.Level, Options.Seed), leftOut);
    }
}
