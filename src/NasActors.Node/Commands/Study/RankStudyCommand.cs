using System.ComponentModel;
using System.Diagnostics;
using NasActors.Core.Ranking;
using NasActors.Node.Commands.Engine;
using NasActors.Torch.Ranking;
using NasActors.Torch.Scoring;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Study;

public sealed class RankStudySettings : EngineSettings
{
    [CommandOption("--preset <PRESET>")]
    [Description("cpu (fmnist-mbconv on the embedded subset, K = 12, about 20 min on 2 idle cores) or gpu (full Fashion-MNIST, K = 24, longer training). Options below override it.")]
    [DefaultValue("cpu")]
    public string Preset { get; init; } = "cpu";

    [CommandOption("-o|--out <FOLDER>")]
    [Description("Study folder: journal (study.jsonl), checkpoints, study.json and plots. Run again with the same folder to resume.")]
    [DefaultValue("runs/rank-study")]
    public string Out { get; init; } = "runs/rank-study";

    [CommandOption("--space <SPACE>")]
    [Description("Block space (same number of choices in every layer): fmnist-mbconv, fmnist-shufflenet, ...")]
    public string? Space { get; init; }

    [CommandOption("--dataset <NAME>")]
    [Description("fmnist-embedded, fmnist (full; /usr/share/datasets/fashion-mnist or --data-dir), cifar10.")]
    public string? Dataset { get; init; }

    [CommandOption("--data-dir <FOLDER>")]
    public string? DataDir { get; init; }

    [CommandOption("-k|--architectures <K>")]
    [Description("Architectures to rank, stratified by FLOPs.")]
    public int? K { get; init; }

    [CommandOption("--seed <SEED>")]
    [Description("Seed of the sample, the data split, both supernets, the stand-alone trainings and the bootstrap.")]
    public long? Seed { get; init; }

    [CommandOption("--steps <N>")]
    [Description("FairNAS optimizer steps; SPOS gets m times as many (same images and choice updates).")]
    public long? Steps { get; init; }

    [CommandOption("--batch-size <N>")]
    public int? BatchSize { get; init; }

    [CommandOption("--standalone-epochs <N>")]
    public int? StandaloneEpochs { get; init; }

    [CommandOption("--recalibration-batches <N>")]
    public int? RecalibrationBatches { get; init; }

    [CommandOption("--mean-gradients")]
    [Description("FairNAS: shared parameters move by the mean of the m path gradients (not FairNAS's own sum).")]
    public bool MeanGradients { get; init; }

    [CommandOption("--resamples <N>")]
    [Description("Bootstrap resamples for the confidence intervals.")]
    public int? Resamples { get; init; }

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
        };
    }
}

/// <summary>
/// <c>nas rank-study</c>: how well SPOS and FairNAS supernets rank architectures against stand-alone training
/// (Kendall tau-b, Spearman rho, bootstrap intervals), with a scatter plot per method and a JSON of every number.
/// </summary>
public sealed class RankStudyCommand : Command<RankStudySettings>
{
    public override int Execute(CommandContext context, RankStudySettings settings, CancellationToken cancellation)
    {
        RankStudyOptions options;
        try
        {
            options = settings.ToOptions();
            options.Validate();
        }
        catch (ArgumentException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }
        var runtime = settings.InitializeTorch();
        var clock = Stopwatch.StartNew();
        if (!settings.Json)
            AnsiConsole.MarkupLineInterpolated(
                $"Rank study in [bold]{settings.Out}[/]: {options.Architectures} architectures of {options.Space} on {options.Dataset}, FairNAS {options.FairNasSteps} steps, SPOS {options.SupernetOptions("spos", NasActors.Core.Spaces.Blocks.BlockSpaces.Get(options.Space)).Steps} steps, stand-alone {options.StandaloneEpochs} epochs, on {runtime.Device}");
        RankStudyOutcome outcome;
        try
        {
            outcome = RankStudy.Run(options, settings.Out, runtime.Device, settings.Json ? null : Print, cancellation);
        }
        catch (StudyJournalException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return 2;
        }
        IReadOnlyList<string> plots;
        try { plots = RankStudyPlot.SaveAll(settings.Out, outcome.Report); }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or IOException)
        {
            // The numbers are already in study.json; a node without the plotting natives still reports them.
            Console.Error.WriteLine($"Plots not written: {e.GetBaseException().Message}");
            plots = [];
        }
        if (settings.Json)
        {
            Console.WriteLine(File.ReadAllText(outcome.ReportFile));
            return 0;
        }
        var table = new Table().AddColumns("method", "Kendall tau-b", "Spearman rho");
        foreach (var m in outcome.Report.Methods)
            table.AddRow(new Text(m.Method), new Text(Format(m.KendallTau)), new Text(Format(m.Spearman)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(
            $"{outcome.Report.Level:P0} bootstrap intervals over {outcome.Report.Resamples} resamples. This run trained {outcome.StandaloneTrained} stand-alone networks and {outcome.SupernetsTrained} supernets and scored {outcome.Scored} architectures in {clock.Elapsed:hh\\:mm\\:ss}.");
        AnsiConsole.MarkupLineInterpolated($"Numbers: {outcome.ReportFile}; plots: {string.Join(", ", plots)}");
        return 0;
    }

    private static string Format(ConfidenceInterval c) => $"{c.Estimate:F3} [{c.Lower:F3}, {c.Upper:F3}]";

    private static void Print(StudyProgress p) =>
        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {p.Phase} {p.Item} {p.Done}/{p.Total} {p.Status}");
}
