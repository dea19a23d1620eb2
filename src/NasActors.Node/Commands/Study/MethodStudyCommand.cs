using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Ranking;
using NasActors.Core.Ranking;
using NasActors.Node.Commands.Nodes;
using NasActors.Node.Commands.Engine;
using NasActors.Node.Commands.Input;
using NasActors.Torch.Data;
using NasActors.Torch.Methods;
using NasActors.Torch.Ranking;
using NasActors.Torch.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Study;

public sealed class MethodStudySettings : SupernetTrainingSettings
{
    [OneOf("cpu", "gpu")]
    [CommandOption("--preset <PRESET>")]
    [Description("cpu (fmnist-cell, K = 12, 20k images per supernet, reference 3 seeds x 2 epochs of 10k images of the full Fashion-MNIST when installed; 2 cores) or gpu (fmnist-cell on the full Fashion-MNIST, K = 12, 240k images per supernet, reference 3 seeds x 3 epochs; one H200). Options below override it.")]
    [DefaultValue("cpu")]
    public string Preset { get; init; } = "cpu";

    [KnownTrainingMethods]
    [CommandOption("--methods <LIST>")]
    [Description("Training methods compared, comma-separated (default: every registered method; rank-study: spos,fairnas).")]
    public string? Methods { get; init; }

    [PathText(Output = OutputPath.Folder)]
    [CommandOption("-o|--out <FOLDER>")]
    [Description("Study folder: study.json, study.md and plots; without --node also the in-process node's journal and checkpoints. Run again with the same folder to resume.")]
    [DefaultValue("runs/method-study")]
    public string Out { get; init; } = "runs/method-study";

    [HostPort]
    [CommandOption("--node <HOST:PORT>")]
    [Description("Run the study on a running cluster through this node (its parts at once, on its evaluator and trainer nodes); without it, an in-process node runs the parts one after another.")]
    public string? Node { get; init; }

    [PathText]
    [CommandOption("-c|--config <FILE>")]
    [Description("HOCON files applied after hocon/base.conf and hocon/persistence-sqlite.conf (later wins); names without a folder are looked up in hocon/. With --node, the client reads its TLS settings from them (--config tls); without, the in-process node is configured by them.")]
    public string[] Config { get; init; } = [];

    [KeyValue(Hocon = true)]
    [CommandOption("--set <KEY=VALUE>")]
    [Description("A HOCON override of that configuration, e.g. --set nas.evaluators=1 (repeatable).")]
    public string[] Set { get; init; } = [];

    [SearchIdText(Suffix = MethodStudyPlan.LongestSuffix)]
    [CommandOption("--name <NAME>")]
    [Description("Study name: its searches are NAME-standalone-sN, NAME-METHOD, NAME-METHOD-derived-sN. Run again with the same name to resume.")]
    [DefaultValue("method-study")]
    public string Name { get; init; } = "method-study";

    [NonNegative]
    [CommandOption("--train-images <N>")]
    [Description("Stand-alone training on only N images of the reference's training split (0 = all).")]
    public int? TrainImages { get; init; }

    [KnownDataset]
    [CommandOption("--reference-dataset <NAME>")]
    [Description("What the stand-alone reference trains and is tested on (default: fmnist when installed, else fmnist-embedded).")]
    public string? ReferenceDataset { get; init; }

    [RangeCheck(2, 10000)]
    [CommandOption("-k|--architectures <K>")]
    [Description("Architectures to rank, stratified by FLOPs.")]
    public int? K { get; init; }

    [RangeCheck(2, 20)]
    [CommandOption("--seeds <N>")]
    [Description("Stand-alone seeds per architecture (the reference is their mean).")]
    public int? Seeds { get; init; }

    [AtLeastOne]
    [CommandOption("--supernet-images <N>")]
    [Description("Weight-stream images of every method's supernet training (the same budget for all).")]
    public long? SupernetImages { get; init; }

    [AtLeastOne(10000)]
    [CommandOption("--standalone-epochs <N>")]
    public int? StandaloneEpochs { get; init; }

    [AtLeastOne]
    [CommandOption("--recalibration-batches <N>")]
    public int? RecalibrationBatches { get; init; }

    [MethodLearningRates]
    [CommandOption("--method-learning-rate <METHOD=LR>")]
    [Description("Learning rate of some methods' supernets (comma-separated METHOD=LR), the others keep the preset's.")]
    public string? MethodLearningRate { get; init; }

    [PathText]
    [CommandOption("--latency-table <FILE>")]
    [Description("Per-layer latency table (nas latency-table writes one): spnas needs it (the only method given it), the table gets a latency column. Named in spnas's spec: the trainer node reads it.")]
    public string? LatencyTable { get; init; }

    [NonNegative]
    [CommandOption("--time-limit <SECONDS>")]
    [Description("Stop waiting after this many seconds and report what is done (unfinished methods marked so); the same command again resumes (0 = no limit).")]
    public int? TimeLimit { get; init; }

    [AtLeastOne(1000000)]
    [CommandOption("--resamples <N>")]
    [Description("Bootstrap resamples for the confidence intervals.")]
    public int? Resamples { get; init; }

    [RangeCheck(0, 1, MinExcluded = true, MaxExcluded = true)]
    [CommandOption("--level <L>")]
    [Description("Confidence level of the intervals.")]
    public double? Level { get; init; }

    public MethodStudyOptions ToOptions(IReadOnlyList<string>? defaultMethods = null)
    {
        var o = MethodStudyOptions.Preset(Preset, MethodStudyOptions.FullFashionMnistInstalled(DataDir));
        var methods = Methods is { } text
            ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(m => TrainingMethods.Get(m).Name).ToArray()
            : defaultMethods ?? o.Methods;
        return o with
        {
            Methods = methods, Space = Space ?? o.Space, Dataset = Dataset ?? o.Dataset, ReferenceDataset = ReferenceDataset ?? o.ReferenceDataset,
            DataFolder = DataDir ?? o.DataFolder, Architectures = K ?? o.Architectures, Seed = Seed ?? o.Seed, Seeds = Seeds ?? o.Seeds,
            // --steps (the one-batch methods' steps) is the image budget in steps of the batch size.
            SupernetImages = SupernetImages ?? (Steps is { } st ? st * (BatchSize ?? o.BatchSize) : o.SupernetImages),
            BatchSize = BatchSize ?? o.BatchSize, MeanGradients = MeanGradients || o.MeanGradients,
            StandaloneEpochs = StandaloneEpochs ?? o.StandaloneEpochs,
            Scoring = RecalibrationBatches is { } r ? o.Scoring with { RecalibrationBatches = r } : o.Scoring,
            LearningRateOf = MethodLearningRate is { } lr ? MethodStudyOptions.ParseLearningRates(lr) : o.LearningRateOf,
            Resamples = Resamples ?? o.Resamples, Level = Level ?? o.Level, TrainImages = TrainImages ?? o.TrainImages,
            LatencyTable = LatencyTable is { } path ? ReadLatencyTable(path, Space ?? o.Space) : o.LatencyTable,
        };
    }

    // Checked here (a bad file is bad input, nothing done); the spnas spec names it by its full path, as a spec file would.
    private static string ReadLatencyTable(string path, string space)
    {
        LatencyLoss.ReadTable(path, NasActors.Core.Spaces.Blocks.BlockSpaces.Get(space));
        return Path.GetFullPath(path);
    }
}

/// <summary>
/// <c>nas method-study</c> (alias <c>rank-study</c>, which compares SPOS and FairNAS by default): every registered
/// training method on one space, one data set and one image budget. Per method one row: search time, images, peak
/// memory, the architecture it found with its costs and stand-alone accuracy, and for its scores of K FLOPs-stratified
/// architectures Kendall tau-b / Spearman rho against a stand-alone reference of several seeds (bootstrap intervals),
/// tau among the top 20%, next to the reference's own seed-half tau. The study runs as searches of the actor system
/// (<see cref="MethodStudyPlan"/>), journaled as results arrive: the same command again resumes it.
/// </summary>
public sealed class MethodStudyCommand : AsyncCommand<MethodStudySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, MethodStudySettings settings, CancellationToken cancellation)
    {
        var options = settings.ToOptions(context.Name == "rank-study" ? ["spos", "fairnas"] : null);
        options.Validate();
        var plan = new MethodStudyPlan(settings.Name, options);
        var folder = Path.GetFullPath(settings.Out);
        Directory.CreateDirectory(folder);
        var clock = Stopwatch.StartNew();
        void Say(string line) { if (!settings.Json) Console.WriteLine(line); }
        Say($"Method study '{settings.Name}' in {folder}: {options.Architectures} architectures of {options.Space}; methods {string.Join(", ", plan.MethodParts)}, " +
            $"{options.SupernetImages:N0} images each on {options.Dataset}; reference {options.Seeds} seeds x {options.StandaloneEpochs} epochs on {options.ReferenceDataset}" +
            (options.TrainImages > 0 ? $" ({options.TrainImages:N0} training images)" : "") + "; " +
            (settings.Node is null ? "in-process node" : $"cluster at {settings.Node}"));
        void Progress(string part, SearchReplies.SearchStatus s) => Say(
            $"{DateTime.UtcNow:HH:mm:ss} [{part}] {s.Status}" + (s.TrainingSteps > 0 ? $", supernet step {s.TrainingStep}/{s.TrainingSteps}" : "") +
            $", {s.Evaluated}/{s.Budget} evaluated" + (s.Failed > 0 ? $", {s.Failed} failed" : "") +
            (s.BestAccuracy is { } b ? $", best {b:F2}%" : ""));
        var ledger = new PartLedger(Path.Combine(folder, "parts.json"));
        TimeSpan? limit = settings.TimeLimit is > 0 and var t ? TimeSpan.FromSeconds(t) : null;
        MethodStudyRunner runner;

        IReadOnlyDictionary<string, SearchReplies.SearchResults> results;
        if (settings.Node is { } node)
        {
            await using var client = NasClient.Connect(node, config: NodeConfig.Load(settings.Config, settings.Set));
            // A cluster that is still forming answers late: every message of the study may be sent again.
            async Task<object> Ask(object m)
            {
                for (var attempt = 1; ; attempt++)
                    try { return await client.AskAsync(m, cancel: cancellation); }
                    catch (InvalidOperationException) when (attempt < 4) { Say($"no answer from {node} yet, asking again"); }
            }
            // The parts run on other machines: their memory is not this process's.
            runner = new MethodStudyRunner(plan, Ask, Progress, ledger, () => null);
            results = await runner.RunAsync(oneAtATime: false, TimeSpan.FromSeconds(5), cancellation, limit);
        }
        else
        {
            var runtime = settings.InitializeTorch();
            Say($"Tensors on {runtime.Device}, {runtime.Threads} threads");
            await using var local = await InProcessNode.StartAsync(folder, ["quickstart.conf", .. settings.Config],
            [
                // A stand-alone training is one job: it may take long on a CPU, and must not be handed out twice.
                "nas.job-timeout = 24h",
                // Any free port: the study needs no operator host, and another node may hold the default one.
                "nas.pbm.port = 0",
                .. options.DataFolder is { } data ? [$"nas.data-folder = \"{Path.GetFullPath(data)}\""] : Array.Empty<string>(),
                .. settings.Set,
            ], cancellation);
            runner = new MethodStudyRunner(plan, m => local.AskAsync(m, TimeSpan.FromSeconds(60), cancellation), Progress, ledger,
                () => new ProcessSample(ProcessMemory.ResidentBytes(), Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds));
            results = await runner.RunAsync(oneAtATime: true, TimeSpan.FromSeconds(2), cancellation, limit);
        }

        if (runner.TimeLimitReached) Say($"Time limit of {limit} reached: the report is partial; run the same command again to resume.");
        var (report, leftOut) = plan.Report(results, ledger.Costs);
        var reportFile = Path.Combine(folder, "study.json");
        MethodStudyOutput.WriteJson(reportFile, plan, report, leftOut, clock.Elapsed, runner.TimeLimitReached, ledger.Costs);
        var markdown = MethodStudyOutput.Markdown(plan, report, leftOut, runner.TimeLimitReached, ledger.Costs);
        File.WriteAllText(Path.Combine(folder, "study.md"), markdown);
        IReadOnlyList<string> plots;
        try { plots = MethodStudyPlot.SaveAll(folder, report); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or IOException)
        {
            // The numbers are already in study.json; a node without the plotting natives still reports them.
            Console.Error.WriteLine($"Plots not written: {e.GetBaseException().Message}");
            plots = [];
        }
        if (settings.Json)
        {
            Console.WriteLine(File.ReadAllText(reportFile));
            return 0;
        }
        Console.WriteLine(markdown);
        AnsiConsole.MarkupLineInterpolated($"{clock.Elapsed:hh\\:mm\\:ss} in this run. Numbers: {reportFile}, {Path.Combine(folder, "study.md")}; plots: {string.Join(", ", plots)}");
        return 0;
    }
}

/// <summary>The study's JSON and Markdown table.</summary>
internal static class MethodStudyOutput
{
    public static void WriteJson(string path, MethodStudyPlan plan, MethodStudyReport report, IReadOnlyList<string> leftOut, TimeSpan elapsed,
        bool partial, IReadOnlyDictionary<string, PartCost> costs)
    {
        var document = new
        {
            study = plan.Name,
            partial,
            settings = plan.Options,
            searches = plan.FirstParts.ToDictionary(p => p, plan.SearchId),
            secondsThisRun = elapsed.TotalSeconds,
            resamples = report.Resamples, level = report.Level, topFraction = report.TopFraction,
            reference = new
            {
                dataset = plan.Options.ReferenceDataset, trainImages = plan.Options.TrainImages, seeds = plan.Options.Seeds,
                seedHalfTau = new { mean = report.SeedHalves.Mean, min = report.SeedHalves.Min, max = report.SeedHalves.Max, splits = report.SeedHalves.Splits },
                architectures = report.Reference.Select(a => new
                {
                    architecture = a.Architecture, flops = a.Flops, @params = a.Params, seedAccuracies = a.SeedAccuracies, mean = a.Mean, spread = a.Spread,
                }),
            },
            methods = report.Rows.Select(r => new
            {
                method = r.Method, status = r.Status, failure = r.Outcome.Failure,
                searchSeconds = r.Outcome.WallSeconds, cpuSeconds = r.Outcome.CpuSeconds, images = r.Outcome.Images, peakMemoryBytes = r.Outcome.PeakMemoryBytes,
                architecture = r.Outcome.Found, architectureBy = r.Outcome.FoundBy, flops = r.Outcome.FoundFlops, @params = r.Outcome.FoundParams,
                latencyMs = r.Outcome.FoundLatency,
                standaloneSeedAccuracies = r.Outcome.FoundSeedAccuracies, standaloneMean = r.FoundMean, standaloneSpread = r.FoundSpread,
                ranked = r.Ranked, kendallTau = Interval(r.KendallTau), spearmanRho = Interval(r.Spearman), topTau = r.TopTau,
                scores = r.Outcome.Scores,
            }),
            parts = costs,
            leftOut,
        };
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(document, ReportJson));
        File.Move(tmp, path, overwrite: true);
    }

    public static string Markdown(MethodStudyPlan plan, MethodStudyReport report, IReadOnlyList<string> leftOut, bool partial,
        IReadOnlyDictionary<string, PartCost> costs)
    {
        var o = plan.Options;
        var inv = CultureInfo.InvariantCulture;
        string P(double? v) => v is { } x && !double.IsNaN(x) ? (x * 100).ToString("F2", inv) : "-";
        string F(double? v, string f = "F3") => v is { } x && !double.IsNaN(x) ? x.ToString(f, inv) : "-";
        string Ci(ConfidenceInterval? c) => c is null ? "-" : $"{F(c.Estimate)} [{F(c.Lower)}, {F(c.Upper)}]";
        var h = report.SeedHalves;
        var lines = new List<string>
        {
            partial ? "**Partial**: the time limit came first; the same command again resumes the study.\n" : "",
            $"Study '{plan.Name}': {report.Reference.Count} architectures of {o.Space} (FLOPs-stratified, seed {o.Seed}); supernets: {o.SupernetImages:N0} " +
            $"weight-stream images of batch {o.BatchSize} each on {o.Dataset}; reference: mean of {report.Reference[0].SeedAccuracies.Count} stand-alone seeds x {o.StandaloneEpochs} epochs " +
            $"on {o.ReferenceDataset}" + (o.TrainImages > 0 ? $" ({o.TrainImages:N0} training images)" : "") + ", test accuracy.",
            "",
            $"Reference reproducibility (Kendall tau between seed halves, mean over {h.Splits} splits): **{F(h.Mean)}** (min {F(h.Min)}, max {F(h.Max)}). " +
            $"A method's tau is meaningful only up to this. Intervals: {report.Level * 100:F0}% paired bootstrap over {report.Resamples} resamples; " +
            $"top tau: among the top {report.TopFraction * 100:F0}% by reference ({StudyStatistics.TopCount(report.Reference.Count, report.TopFraction)} architectures).",
            "",
            "| method | status | search time | images | peak memory | architecture (how) | MFLOPs | params (k) | latency (ms) | stand-alone % (mean ± sd) | Kendall tau [CI] | Spearman rho [CI] | top tau | reference seed-half tau |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        };
        foreach (var r in report.Rows)
        {
            var m = r.Outcome;
            var time = (m.WallSeconds is { } s ? TimeSpan.FromSeconds(s).ToString(@"h\:mm\:ss", inv) : "-")
                       + (m.CpuSeconds is { } c ? $" ({TimeSpan.FromSeconds(c).ToString(@"h\:mm\:ss", inv)} CPU)" : "");
            var mem = m.PeakMemoryBytes is { } b ? $"{b / (1024.0 * 1024):F0} MiB" : "-";
            var status = r.Failed ? $"**{r.Status}**: {m.Failure!.Replace("|", "/")}" : "completed";
            var arch = m.Found is null ? "-" : $"{m.Found} ({m.FoundBy})";
            var acc = r.FoundMean is { } fm ? $"{P(fm)} ± {P(r.FoundSpread)} ({m.FoundSeedAccuracies!.Count} seeds)" : "-";
            lines.Add($"| {m.Method} | {status} | {time} | {m.Images:N0} | {mem} | {arch} | {F(m.FoundFlops / 1e6, "F2")} | {F(m.FoundParams / 1e3, "F1")} | {F(m.FoundLatency, "F2")} | " +
                      $"{acc} | {Ci(r.KendallTau)} | {Ci(r.Spearman)} | {F(r.TopTau)} | {F(h.Mean)} |");
        }
        var reference = plan.StandaloneParts.Select(p => costs.GetValueOrDefault(p)).Where(c => c is not null).ToArray();
        if (reference.Length > 0)
            lines.Add($"\nReference cost: {TimeSpan.FromSeconds(reference.Sum(c => c!.Seconds)).ToString(@"h\:mm\:ss", inv)} wall" +
                      (reference.All(c => c!.CpuSeconds is not null) ? $", {TimeSpan.FromSeconds(reference.Sum(c => c!.CpuSeconds!.Value)).ToString(@"h\:mm\:ss", inv)} CPU" : "") +
                      $" for {reference.Length} seeds x {report.Reference.Count} architectures (the time columns: wall, and CPU of the in-process node).");
        lines.Add("");
        lines.Add("| architecture | MFLOPs | stand-alone % per seed | mean ± sd |");
        lines.Add("|---|---|---|---|");
        foreach (var a in report.Reference.OrderByDescending(a => a.Mean))
            lines.Add($"| {a.Architecture} | {F(a.Flops / 1e6, "F2")} | {string.Join(" / ", a.SeedAccuracies.Select(x => P(x)))} | {P(a.Mean)} ± {P(a.Spread)} |");
        if (leftOut.Count > 0) lines.Add($"\nLeft out (a stand-alone training failed or is not done): {string.Join(", ", leftOut)}");
        return string.Join("\n", lines) + "\n";
    }

    private static object? Interval(ConfidenceInterval? c) => c is null ? null : new
    {
        estimate = c.Estimate, lower = c.Lower, upper = c.Upper, level = c.Level, resamples = c.Resamples, validResamples = c.Valid,
    };

    private static readonly JsonSerializerOptions ReportJson = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
