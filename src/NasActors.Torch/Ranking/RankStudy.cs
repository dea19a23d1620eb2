using System.Diagnostics;
using System.Text.Json;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Ranking;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Scoring;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Ranking;

/// <summary>What a study did, for a progress display: a phase, its item, and its position.</summary>
public sealed record StudyProgress(string Phase, string Item, long Done, long Total, string Status);

/// <summary>The outcome of a study: its report, its folder's files, and how much work this run did (0 when all was recorded).</summary>
public sealed record RankStudyOutcome(RankingReport Report, string Journal, string ReportFile, int StandaloneTrained,
    int SupernetsTrained, int Scored);

/// <summary>
/// A ranking study: K architectures stratified by FLOPs, each trained stand-alone (the ground truth), an SPOS and a
/// FairNAS supernet trained with the same data, seed and per-choice budget, each architecture scored by each supernet
/// with BatchNorm recalibration, and Kendall tau-b / Spearman rho with bootstrap intervals. Every result is appended
/// to the study journal (study.jsonl) the moment it exists, and supernets checkpoint periodically, so a study cut
/// short resumes where it stopped: recorded results are never redone or overwritten.
/// </summary>
public static class RankStudy
{
    public const string JournalFile = "study.jsonl";
    public const string ReportFileName = "study.json";

    public static RankStudyOutcome Run(RankStudyOptions o, string folder, Device device, Action<StudyProgress>? progress = null,
        CancellationToken cancel = default)
    {
        o.Validate();
        var space = BlockSpaces.Get(o.Space);
        var costs = space.CostModel();
        var architectures = FlopsStratifiedSample.Draw(space, costs, o.Architectures, o.Seed);
        var start = new StudyStarted(o.Fingerprint(), architectures.Select(space.Format).ToArray());
        Directory.CreateDirectory(folder);
        using var journal = StudyJournal.OpenOrCreate(Path.Combine(folder, JournalFile), start);
        var data = Data(o);
        data.EnsureFits(space);
        int trained = 0, supernets = 0, scored = 0;

        var standalone = o.Standalone();
        for (var i = 0; i < architectures.Count; i++)
        {
            var text = space.Format(architectures[i]);
            if (journal.State.Standalone.ContainsKey(text)) continue;
            cancel.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var score = StandaloneTrainer.Train(space, architectures[i], data.TrainLoader(standalone.BatchSize, standalone.Seed),
                data.TestLoader(500), standalone, device,
                e => progress?.Invoke(new StudyProgress("stand-alone", text, e.Epoch, standalone.Epochs,
                    $"arch {i + 1}/{architectures.Count} loss {e.TrainLoss:F3} train acc {e.TrainAccuracy:P1}")));
            journal.Append(new StandaloneTrained(text, score.Accuracy, score.Loss, clock.Elapsed.TotalSeconds));
            progress?.Invoke(new StudyProgress("stand-alone", text, standalone.Epochs, standalone.Epochs,
                $"arch {i + 1}/{architectures.Count} test accuracy {score.Accuracy:P2}"));
            trained++;
        }

        foreach (var method in RankStudyOptions.Methods)
        {
            if (!journal.State.Supernets.ContainsKey(method))
            {
                cancel.ThrowIfCancellationRequested();
                TrainSupernet(o, method, space, data, folder, journal, device, progress, cancel);
                supernets++;
            }
            var supernet = journal.State.Supernets[method];
            var missing = architectures.Where(a => !journal.State.IsScored(method, space.Format(a))).ToArray();
            if (missing.Length == 0) continue;
            using var evaluator = new CandidateEvaluator(supernet.File, o.Scoring, device, supernet.Sha256, data: data);
            foreach (var arch in missing)
            {
                cancel.ThrowIfCancellationRequested();
                var s = evaluator.Evaluate(arch);
                journal.Append(new SupernetScored(method, s.Text, s.Accuracy, s.Loss, s.Duration.TotalSeconds));
                scored++;
                progress?.Invoke(new StudyProgress($"score {method}", s.Text, journal.State.Scores.Keys.Count(k => k.Method == method),
                    architectures.Count, $"validation accuracy {s.Accuracy:P2}"));
            }
        }

        var report = Report(o, space, costs, journal.State);
        var reportFile = Path.Combine(folder, ReportFileName);
        WriteReport(reportFile, o, journal.State, report);
        return new RankStudyOutcome(report, journal.Path, reportFile, trained, supernets, scored);
    }

    /// <summary>The statistics of a journal whose results are all recorded.</summary>
    public static RankingReport Report(RankStudyOptions o, BlockSpace space, AdditiveCostModel costs, StudyState state)
    {
        var rows = state.Architectures.Select(text =>
        {
            var arch = space.Parse(text);
            return new RankedArchitecture(text, costs.Cost(CostMetrics.Flops, arch), costs.Cost(CostMetrics.Params, arch),
                state.Standalone[text].TestAccuracy,
                RankStudyOptions.Methods.ToDictionary(m => m, m => state.Scores[(m, text)].Accuracy));
        }).ToArray();
        return RankingReport.Compute(rows, RankStudyOptions.Methods, o.Resamples, o.Level, o.Seed);
    }

    private static void TrainSupernet(RankStudyOptions o, string method, BlockSpace space, SearchData data, string folder,
        StudyJournal journal, Device device, Action<StudyProgress>? progress, CancellationToken cancel)
    {
        var options = o.SupernetOptions(method, space);
        var checkpoints = Path.Combine(folder, "checkpoints", method);
        string? resume = null;
        if (journal.State.LastCheckpoint.TryGetValue(method, out var last))
        {
            if (File.Exists(last.File) && Checkpoint.Sha256Of(last.File).Equals(last.Sha256, StringComparison.OrdinalIgnoreCase))
                resume = last.File;
            else
                progress?.Invoke(new StudyProgress($"train {method}", method, 0, options.Steps,
                    $"checkpoint {last.File} of step {last.Step} is missing or damaged: training from step 0"));
        }
        var clock = Stopwatch.StartNew();
        var outcome = SupernetTraining.Run(space, data, options, device, checkpoints, o.CheckpointEveryFor(method, space), resume,
            p =>
            {
                if (p.StepsDone % Math.Max(1, options.Steps / 20) == 0 || p.StepsDone == options.Steps)
                    progress?.Invoke(new StudyProgress($"train {method}", method, p.StepsDone, options.Steps,
                        $"loss {p.Step.Loss:F3} acc {p.Step.Accuracy:P1} {p.ImagesPerSecond:F0} img/s"));
            },
            (c, _) => journal.Append(new SupernetCheckpointed(method, c.Step, c.Sha256, Path.GetFullPath(c.Path))),
            cancel);
        journal.Append(new SupernetTrained(method, outcome.Steps, outcome.Checkpoint.Sha256, Path.GetFullPath(outcome.Checkpoint.Path),
            clock.Elapsed.TotalSeconds));
    }

    /// <summary>The study's data: the search split, optionally cut to a fixed, seeded subset (for tests).</summary>
    public static SearchData Data(RankStudyOptions o)
    {
        var data = SearchData.Load(o.Dataset, o.DataFolder, o.ValidationFraction, o.Seed);
        if (o.TrainImages == 0 && o.ValidationImages == 0) return data;
        int[] Cut(int[] indices, int n, string purpose)
        {
            if (n == 0 || n >= indices.Length) return indices;
            var copy = (int[])indices.Clone();
            DeterministicRandom.For(o.Seed, purpose).Shuffle(copy);
            return copy[..n];
        }
        return data with
        {
            Split = new DatasetSplit(Cut(data.Split.Train, o.TrainImages, "rank-study/train-subset"),
                Cut(data.Split.Validation, o.ValidationImages, "rank-study/validation-subset")),
        };
    }

    private static void WriteReport(string path, RankStudyOptions o, StudyState state, RankingReport report)
    {
        var document = new
        {
            settings = o.Fingerprint(),
            sposSteps = o.SupernetOptions(Sampling.PathSamplers.Spos, BlockSpaces.Get(o.Space)).Steps,
            resamples = report.Resamples, level = report.Level,
            methods = report.Methods.Select(m => new
            {
                method = m.Method,
                kendallTau = Interval(m.KendallTau), spearmanRho = Interval(m.Spearman),
                supernetSeconds = state.Supernets[m.Method].Seconds,
                supernetSha256 = state.Supernets[m.Method].Sha256,
                scoringSeconds = state.Scores.Values.Where(s => s.Method == m.Method).Sum(s => s.Seconds),
            }),
            architectures = report.Architectures.Select(a => new
            {
                architecture = a.Architecture, flops = a.Flops, @params = a.Params, standaloneTestAccuracy = a.StandaloneAccuracy,
                standaloneSeconds = state.Standalone[a.Architecture].Seconds, supernetValidationAccuracy = a.SupernetAccuracy,
            }),
        };
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(document, ReportJson));
        File.Move(tmp, path, overwrite: true);
    }

    private static object Interval(ConfidenceInterval c) => new
    {
        estimate = c.Estimate, lower = c.Lower, upper = c.Upper, level = c.Level, resamples = c.Resamples, validResamples = c.Valid,
    };

    private static readonly JsonSerializerOptions ReportJson = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
