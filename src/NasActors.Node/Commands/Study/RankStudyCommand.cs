using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Akka.Actor;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Ranking;
using NasActors.Core.Ranking;
using NasActors.Node.Commands.Nodes;
using NasActors.Node.Commands.Engine;
using NasActors.Torch.Ranking;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Study;

public sealed class RankStudySettings : SupernetTrainingSettings
{
    [OneOf("cpu", "gpu")]
    [CommandOption("--preset <PRESET>")]
    [Description("cpu (fmnist-mbconv on the embedded subset, K = 12, about 20 min on 2 idle cores) or gpu (full Fashion-MNIST, K = 24, longer training). Options below override it.")]
    [DefaultValue("cpu")]
    public string Preset { get; init; } = "cpu";

    [PathText]
    [CommandOption("-o|--out <FOLDER>")]
    [Description("Study folder: study.json and plots; without --node also the in-process node's journal and checkpoints. Run again with the same folder to resume.")]
    [DefaultValue("runs/rank-study")]
    public string Out { get; init; } = "runs/rank-study";

    [HostPort]
    [CommandOption("--node <HOST:PORT>")]
    [Description("Run the study on a running cluster through this node (its parts at once, on its evaluator and trainer nodes); without it, an in-process node runs the parts one after another.")]
    public string? Node { get; init; }

    [SearchIdText(Suffix = 11)]
    [CommandOption("--name <NAME>")]
    [Description("Study name: its searches are NAME-standalone, NAME-spos, NAME-fairnas. Run again with the same name to resume.")]
    [DefaultValue("rank-study")]
    public string Name { get; init; } = "rank-study";

    [NonNegative]
    [CommandOption("--train-images <N>")]
    [Description("Stand-alone training on only N images of the training split (0 = all): smoke tests.")]
    public int? TrainImages { get; init; }

    [RangeCheck(2, 10000)]
    [CommandOption("-k|--architectures <K>")]
    [Description("Architectures to rank, stratified by FLOPs.")]
    public int? K { get; init; }

    [AtLeastOne(10000)]
    [CommandOption("--standalone-epochs <N>")]
    public int? StandaloneEpochs { get; init; }

    [AtLeastOne]
    [CommandOption("--recalibration-batches <N>")]
    public int? RecalibrationBatches { get; init; }

    [AtLeastOne(1000000)]
    [CommandOption("--resamples <N>")]
    [Description("Bootstrap resamples for the confidence intervals.")]
    public int? Resamples { get; init; }

    [RangeCheck(0, 1, MinExcluded = true, MaxExcluded = true)]
    [CommandOption("--level <L>")]
    [Description("Confidence level of the intervals.")]
    public double? Level { get; init; }

    public RankStudyOptions ToOptions()
    {
        var o = RankStudyOptions.Preset(Preset);
        return o with
        {
            Space = Space ?? o.Space, Dataset = Dataset ?? o.Dataset, DataFolder = DataDir ?? o.DataFolder,
            Architectures = K ?? o.Architectures, Seed = Seed ?? o.Seed, FairNasSteps = Steps ?? o.FairNasSteps,
            BatchSize = BatchSize ?? o.BatchSize, StandaloneEpochs = StandaloneEpochs ?? o.StandaloneEpochs,
            Scoring = RecalibrationBatches is { } r ? o.Scoring with { RecalibrationBatches = r } : o.Scoring,
            MeanGradients = MeanGradients || o.MeanGradients, Resamples = Resamples ?? o.Resamples, Level = Level ?? o.Level,
            TrainImages = TrainImages ?? o.TrainImages,
            WarmupSteps = Steps is { } st ? Math.Min(o.WarmupSteps, st - 1) : o.WarmupSteps,
            CheckpointEvery = Steps is { } s2 ? Math.Max(1, s2 / 6) : o.CheckpointEvery,
        };
    }
}

/// <summary>
/// <c>nas rank-study</c>: how well SPOS and FairNAS supernets rank architectures against stand-alone training
/// (Kendall tau-b, Spearman rho, bootstrap intervals), with a scatter plot per method and a JSON of every number.
/// The study runs as three searches of the actor system (<see cref="RankStudyPlan"/>): in an in-process node whose
/// journal is in the study folder, or on a running cluster (<c>--node</c>). Every result is journaled as it arrives.
/// </summary>
public sealed class RankStudyCommand : AsyncCommand<RankStudySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RankStudySettings settings, CancellationToken cancellation)
    {
        var options = settings.ToOptions();
        options.Validate();
        var plan = new RankStudyPlan(settings.Name, options);
        var folder = Path.GetFullPath(settings.Out);
        Directory.CreateDirectory(folder);
        var clock = Stopwatch.StartNew();
        var space = NasActors.Core.Spaces.Blocks.BlockSpaces.Get(options.Space);
        void Say(string line) { if (!settings.Json) Console.WriteLine(line); }
        Say($"Rank study '{settings.Name}' in {folder}: {options.Architectures} architectures of {options.Space} on {options.Dataset}, " +
            $"FairNAS {options.FairNasSteps} steps, SPOS {options.SupernetOptions("spos", space).Steps} steps of batch {options.BatchSize}, " +
            $"stand-alone {options.StandaloneEpochs} epochs; " + (settings.Node is null ? "in-process node" : $"cluster at {settings.Node}"));
        void Progress(string part, SearchReplies.SearchStatus s) => Say(
            $"{DateTime.UtcNow:HH:mm:ss} [{part}] {s.Status}" + (s.TrainingSteps > 0 ? $", supernet step {s.TrainingStep}/{s.TrainingSteps}" : "") +
            $", {s.Evaluated}/{s.Budget} evaluated" + (s.Failed > 0 ? $", {s.Failed} failed" : "") +
            (s.BestAccuracy is { } b ? $", best {b:F2}%" : ""));

        IReadOnlyDictionary<string, SearchReplies.SearchResults> results;
        if (settings.Node is { } node)
        {
            await using var client = NasClient.Connect(node);
            // A cluster that is still forming answers late: every message of the study may be sent again.
            async Task<object> Ask(object m)
            {
                for (var attempt = 1; ; attempt++)
                    try { return await client.AskAsync(m); }
                    catch (InvalidOperationException) when (attempt < 4) { Say($"no answer from {node} yet, asking again"); }
            }
            results = await new RankStudyRunner(plan, Ask, Progress)
                .RunAsync(oneAtATime: false, TimeSpan.FromSeconds(5), cancellation);
        }
        else
        {
            var runtime = settings.InitializeTorch();
            Say($"Tensors on {runtime.Device}, {runtime.Threads} threads");
            // A stand-alone training is one job: it may take long on a CPU, and must not be handed out twice.
            await using var local = await InProcessNode.StartAsync(folder, ["quickstart.conf"], ["nas.job-timeout = 24h"], cancellation);
            results = await new RankStudyRunner(plan, m => local.AskAsync(m, TimeSpan.FromSeconds(60)), Progress)
                .RunAsync(oneAtATime: true, TimeSpan.FromSeconds(2), cancellation);
        }

        var (report, leftOut) = plan.Report(results);
        var reportFile = Path.Combine(folder, "study.json");
        WriteReport(reportFile, plan, results, report, leftOut, clock.Elapsed);
        IReadOnlyList<string> plots;
        try { plots = RankStudyPlot.SaveAll(folder, report); }
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
        var table = new Table().AddColumns("method", "Kendall tau-b", "Spearman rho");
        foreach (var m in report.Methods)
            table.AddRow(new Text(m.Method), new Text(Format(m.KendallTau)), new Text(Format(m.Spearman)));
        AnsiConsole.Write(table);
        if (leftOut.Count > 0) AnsiConsole.MarkupLineInterpolated($"[yellow]Left out (an evaluation failed): {string.Join(", ", leftOut)}[/]");
        AnsiConsole.MarkupLineInterpolated(
            $"{report.Level:P0} bootstrap intervals over {report.Resamples} resamples, {report.Architectures.Count} architectures; {clock.Elapsed:hh\\:mm\\:ss} in this run.");
        AnsiConsole.MarkupLineInterpolated($"Numbers: {reportFile}; plots: {string.Join(", ", plots)}");
        return 0;
    }

    private static string Format(ConfidenceInterval c) => $"{c.Estimate:F3} [{c.Lower:F3}, {c.Upper:F3}]";

    private static void WriteReport(string path, RankStudyPlan plan, IReadOnlyDictionary<string, SearchReplies.SearchResults> results,
        RankingReport report, IReadOnlyList<string> leftOut, TimeSpan elapsed)
    {
        var document = new
        {
            study = plan.Name,
            settings = plan.Options,
            searches = RankStudyPlan.Parts.ToDictionary(p => p, plan.SearchId),
            secondsThisRun = elapsed.TotalSeconds,
            resamples = report.Resamples, level = report.Level,
            methods = report.Methods.Select(m => new { method = m.Method, kendallTau = Interval(m.KendallTau), spearmanRho = Interval(m.Spearman) }),
            architectures = report.Architectures.Select(a => new
            {
                architecture = a.Architecture, flops = a.Flops, @params = a.Params, standaloneTestAccuracy = a.StandaloneAccuracy,
                supernetValidationAccuracy = a.SupernetAccuracy,
            }),
            leftOut,
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
