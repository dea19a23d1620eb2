using System.ComponentModel;
using System.Text.Json;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Methods;
using NasActors.Torch.Training;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public class TrainSettings : SupernetTrainingSettings
{
    [RangeCheck(0, 1, MinExcluded = true, MaxExcluded = true)]
    [CommandOption("--validation-fraction <F>")]
    [Description("Part of the training set held out to score candidates.")]
    [DefaultValue(0.2)]
    public double ValidationFraction { get; init; } = 0.2;

    [KnownTrainingMethod]
    [CommandOption("--method <METHOD>")]
    [Description("spos (one uniform path per step), fairnas (every choice once per step), darts, fbnet or proxylessnas (architecture parameters trained on a split of the training images), oneshot (every choice under path dropout), smash (hypernetwork-generated weights), spnas (Single-Path NAS superkernels; needs --latency-table) or enas (LSTM controller, REINFORCE on a split of the training images).")]
    [DefaultValue("fairnas")]
    public string Method { get; init; } = "fairnas";

    [Positive]
    [CommandOption("--lr <RATE>")]
    [Description("Base learning rate.")]
    [DefaultValue(0.1)]
    public double LearningRate { get; init; } = 0.1;

    [RangeCheck(0, 1, MaxExcluded = true)]
    [CommandOption("--momentum <M>")]
    [DefaultValue(0.9)]
    public double Momentum { get; init; } = 0.9;

    [NonNegative]
    [CommandOption("--weight-decay <WD>")]
    [Description("Applied to weights with more than one dimension only.")]
    [DefaultValue(4e-5)]
    public double WeightDecay { get; init; } = 4e-5;

    [RangeCheck(0, 1, MaxExcluded = true)]
    [CommandOption("--label-smoothing <S>")]
    [DefaultValue(0.1)]
    public double LabelSmoothing { get; init; } = 0.1;

    [OneOf("cosine", "linear")]
    [CommandOption("--decay <KIND>")]
    [Description("Learning-rate decay: cosine or linear.")]
    [DefaultValue("cosine")]
    public string Decay { get; init; } = "cosine";

    [NonNegative]
    [CommandOption("--warmup <STEPS>")]
    [DefaultValue(0L)]
    public long Warmup { get; init; }

    [RangeCheck(0, 1000)]
    [CommandOption("--flops-bands <N>")]
    [Description("SPOS only: sample paths inside N FLOPs bands (0 = unconstrained).")]
    [DefaultValue(0)]
    public int FlopsBands { get; init; }

    [CommandOption("--published-recipe")]
    [Description("darts, fbnet, proxylessnas: train the weights with the method's published recipe (DARTS: SGD 0.025 cosine to 0.001, weight decay 3e-4, clipping 5), overriding --lr, --momentum, --weight-decay, --label-smoothing and --decay.")]
    public bool PublishedRecipe { get; init; }

    [CommandOption("--second-order")]
    [Description("darts: the unrolled second-order architecture gradient (first order without).")]
    public bool SecondOrder { get; init; }

    [Positive]
    [CommandOption("--arch-learning-rate <RATE>")]
    [Description("darts, fbnet, proxylessnas: Adam's learning rate for the architecture parameters (default: the method's published one, DARTS 3e-4).")]
    public double? ArchLearningRate { get; init; }

    [PathText]
    [CommandOption("--latency-table <FILE>")]
    [Description("Per-layer latency table: a JSON file with \"fixed\" (ms) and \"layers\" (per layer, the ms of each choice). spnas needs it; fbnet and proxylessnas use it.")]
    public string? LatencyTable { get; init; }

    [Positive]
    [CommandOption("--latency-reference <MS>")]
    [Description("proxylessnas with --latency-table: the reference (target) latency in ms of its latency loss, CE + lambda * (LAT - ref) / ref or CE * alpha * (log LAT / log ref)^beta.")]
    public double? LatencyReference { get; init; }

    [Positive]
    [CommandOption("--latency-unit <MS>")]
    [Description("fbnet, proxylessnas with --latency-table: the unit latency is measured in under the log of the log-latency losses; every architecture must be slower than it (default: 1 ms, or the fastest architecture's latency / e for tables faster than e ms).")]
    public double? LatencyUnit { get; init; }

    [RangeCheck(0, 1, MaxExcluded = true)]
    [CommandOption("--drop-path-rate <R>")]
    [Description("oneshot: the path-dropout rate reached at the end of training.")]
    [DefaultValue(0.1)]
    public double DropPathRate { get; init; } = 0.1;

    [PathText(Output = OutputPath.Folder)]
    [CommandOption("-o|--out <FOLDER>")]
    [Description("Folder for checkpoints (content-addressed: <sha256>.nasckpt).")]
    [DefaultValue("runs/checkpoints")]
    public string Out { get; init; } = "runs/checkpoints";

    [NonNegative]
    [CommandOption("--checkpoint-every <STEPS>")]
    [Description("Also checkpoint every N steps (0 = only at the end).")]
    [DefaultValue(0L)]
    public long CheckpointEvery { get; init; }

    [PathText]
    [CommandOption("--resume <CHECKPOINT>")]
    [Description("Continue exactly from a checkpoint: the same space, method, data and options (refused otherwise, naming the difference); only --steps may grow.")]
    public string? Resume { get; init; }

    public override ValidationResult Validate() =>
        Warmup >= StepsOrDefault ? ValidationResult.Error($"--warmup {Warmup}: must be less than --steps ({StepsOrDefault})")
        : LatencyReference is { } r && MethodName != "proxylessnas" ? ValidationResult.Error($"--latency-reference {r}: applies to --method proxylessnas only")
        : LatencyUnit is { } u && MethodName is not ("proxylessnas" or "fbnet") ? ValidationResult.Error($"--latency-unit {u}: applies to --method fbnet and proxylessnas only")
        : (LatencyReference ?? LatencyUnit) is { } v && LatencyTable is null
            ? ValidationResult.Error($"--{(LatencyReference is null ? "latency-unit" : "latency-reference")} {v}: needs --latency-table (the latency loss is off without a table)")
        : FlopsBands > 0 && Method.Trim().ToLowerInvariant() != "spos" ? ValidationResult.Error($"--flops-bands {FlopsBands}: applies to --method spos only")
        : base.Validate();

    private string MethodName => Method.Trim().ToLowerInvariant();

    /// <summary>Checks of options against the checkpoint to resume from, before any work (nothing is written on a refusal).</summary>
    public void CheckResume()
    {
        if (Resume is null) return;
        var metadata = NasActors.Torch.Checkpoints.Checkpoint.ReadMetadata(Resume);
        if (!metadata.TryGetValue("step", out var text) || !long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var step))
            throw new UsageException($"--resume '{Resume}': the checkpoint does not record its step");
        if (step >= StepsOrDefault)
            throw new UsageException($"--steps {StepsOrDefault}: the checkpoint given to --resume is at step {step} already; ask for more steps than that");
        if (metadata.TryGetValue("method", out var method) && !string.Equals(method, Method.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--method {Method}: the checkpoint given to --resume was trained with {method}");
        if (metadata.TryGetValue("space", out var space) && !string.Equals(space, SpaceOrDefault.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--space {SpaceOrDefault}: the checkpoint given to --resume is of space {space}");
    }

    /// <summary>
    /// A resume continues the same training: the data (data set, split) and every training option but the number of
    /// steps must be the checkpoint's. Another batch size, seed or data set would silently train on another stream from
    /// the checkpoint's position; refused naming the first difference.
    /// </summary>
    public static void CheckResumeContinues(IReadOnlyDictionary<string, string> checkpoint, SearchData data, SupernetTrainingOptions options)
    {
        foreach (var (key, value) in data.Metadata())
            if (key != "dataset-folder" && checkpoint.TryGetValue(key, out var trained) && trained != value)
                throw new UsageException($"--resume: the checkpoint was trained with {DataOptionName(key)} {trained}, this run asks for {value}; " +
                                         "a resume continues the same training (give the checkpoint's data and options)");
        if (!checkpoint.TryGetValue("options", out var json)) return;
        using var then = System.Text.Json.JsonDocument.Parse(json);
        using var now = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(options));
        foreach (var property in then.RootElement.EnumerateObject())
        {
            if (property.Name == nameof(SupernetTrainingOptions.Steps)) continue;
            // An option added since the checkpoint was written is not compared.
            if (!now.RootElement.TryGetProperty(property.Name, out var asked)) continue;
            if (asked.GetRawText() != property.Value.GetRawText())
                throw new UsageException($"--resume: the checkpoint was trained with {OptionName(property.Name)} {property.Value.GetRawText()}, this run " +
                                         $"asks for {asked.GetRawText()}; a resume continues the same training (give the checkpoint's data and options)");
        }
    }

    private static string DataOptionName(string key) => key switch { "split-seed" => "--seed", _ => "--" + key };

    /// <summary>The command-line option of a training option, where it has one (the others by their name).</summary>
    private static string OptionName(string property) => property switch
    {
        nameof(SupernetTrainingOptions.BatchSize) => "--batch-size",
        nameof(SupernetTrainingOptions.LearningRate) => "--lr",
        nameof(SupernetTrainingOptions.Momentum) => "--momentum",
        nameof(SupernetTrainingOptions.WeightDecay) => "--weight-decay",
        nameof(SupernetTrainingOptions.LabelSmoothing) => "--label-smoothing",
        nameof(SupernetTrainingOptions.Decay) => "--decay",
        nameof(SupernetTrainingOptions.WarmupSteps) => "--warmup",
        nameof(SupernetTrainingOptions.FlopsBands) => "--flops-bands",
        nameof(SupernetTrainingOptions.MeanGradientOverPaths) => "--mean-gradients",
        nameof(SupernetTrainingOptions.Seed) => "--seed",
        _ => property,
    };

    public SupernetTrainingOptions ToOptions()
    {
        var options = BaseOptions();
        return PublishedRecipe ? TrainingMethods.Get(options.Method).Recipe(options) : options;
    }

    private SupernetTrainingOptions BaseOptions() => new()
    {
        Method = Method.Trim().ToLowerInvariant(),
        Steps = StepsOrDefault,
        BatchSize = BatchSizeOrDefault,
        LearningRate = LearningRate,
        Momentum = Momentum,
        WeightDecay = WeightDecay,
        LabelSmoothing = LabelSmoothing,
        Decay = Decay.Trim().ToLowerInvariant() switch
        {
            "cosine" => LearningRateDecay.Cosine,
            "linear" => LearningRateDecay.Linear,
            _ => throw new ArgumentException($"--decay must be cosine or linear, got '{Decay}'."),
        },
        WarmupSteps = Warmup,
        FlopsBands = FlopsBands,
        MeanGradientOverPaths = MeanGradients,
        Seed = SeedOrDefault,
        Architecture = new ArchitectureOptions { SecondOrder = SecondOrder, LearningRate = ArchLearningRate, LatencyReference = LatencyReference, LatencyUnit = LatencyUnit },
        OneShot = new NasActors.Torch.Methods.OneShot.OneShotOptions { DropPathRate = DropPathRate },
    };
}

/// <summary><c>nas train</c>: trains a supernet and writes checkpoints.</summary>
public sealed class TrainCommand : Command<TrainSettings>
{
    public override int Execute(CommandContext context, TrainSettings settings, CancellationToken cancellation)
    {
        settings.CheckResume();
        var runtime = settings.InitializeTorch();
        var options = settings.ToOptions();
        options.Validate();
        var space = BlockSpaces.Get(settings.SpaceOrDefault);
        var data = SearchData.Load(DatasetCatalog.ForSpace(settings.DatasetOrDefault, space), settings.DataDir, settings.ValidationFraction, settings.SeedOrDefault);
        if (settings.Resume is { } resume) TrainSettings.CheckResumeContinues(NasActors.Torch.Checkpoints.Checkpoint.ReadMetadata(resume), data, options);
        if (!settings.Json)
            AnsiConsole.MarkupLine($"Training a [bold]{options.Method}[/] supernet of [bold]{space.Name}[/] on {data.Bundle.Name} " +
                                   $"({data.Split.Train.Length} train / {data.Split.Validation.Length} validation images) on {runtime.Device}");
        var latency = settings.LatencyTable is { } table ? LatencyLoss.ReadTable(table, space) : null;
        // What the process holds before the supernet is built (runtime, LibTorch, data): the base of the training's own peak.
        var residentBefore = NasActors.Torch.Runtime.ProcessMemory.ResidentBytes();
        var outcome = Train(space, data, options, runtime.Device, settings.Out, settings.CheckpointEvery, settings.Resume,
            new StepProgress(settings.Json), cancellation, runtime.PathWorkers, latency);
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                checkpoint = outcome.Checkpoint.Path, sha256 = outcome.Checkpoint.Sha256, steps = outcome.Steps,
                loss = outcome.RecentLoss, accuracy = outcome.RecentAccuracy, imagesPerSecond = outcome.ImagesPerSecond,
                imagesPerSecondAfterFirstStep = double.IsFinite(outcome.ImagesPerSecondAfterFirstStep) ? outcome.ImagesPerSecondAfterFirstStep : (double?)null,
                seconds = outcome.Elapsed.TotalSeconds, peakResidentBytes = NasActors.Torch.Runtime.ProcessMemory.PeakResidentBytes(), residentBytesBeforeTraining = residentBefore, space = space.Name, method = options.Method, device = runtime.Device.ToString(),
                architecture = outcome.Distribution is { } d ? space.Format(d.Argmax()) : null,
                architectureEntropy = outcome.Distribution?.NormalizedEntropy(),
                probabilities = outcome.Distribution?.Probabilities,
                derived = outcome.Derived.Count > 0 ? outcome.Derived.Select(space.Format).ToArray() : null,
                cell = CellReport.Of(space, outcome.Distribution),
            }, JsonOutput.Options));
        else
            AnsiConsole.MarkupLine($"Checkpoint [green]{outcome.Checkpoint.Path}[/] (step {outcome.Steps}, loss {outcome.RecentLoss:F3}, " +
                                   $"train accuracy {outcome.RecentAccuracy:P1}, {outcome.ImagesPerSecond:F0} img/s, {outcome.Elapsed:mm\\:ss})" +
                                   (outcome.Distribution is { } d ? $"; argmax [bold]{space.Format(d.Argmax())}[/], entropy {d.NormalizedEntropy():F2}" : "") +
                                   (outcome.Derived.Count > 0 ? $"; derived [bold]{string.Join(" ", outcome.Derived.Take(5).Select(space.Format))}[/]" : ""));
        if (!settings.Json && CellReport.Of(space, outcome.Distribution) is { } cell)
            AnsiConsole.MarkupLine(Markup.Escape(cell.ToString()));
        return 0;
    }

    /// <summary>Supernet training with a progress display; shared with the quickstart.</summary>
    public static TrainingOutcome Train(BlockSpace space, SearchData data, SupernetTrainingOptions options, TorchSharp.torch.Device device,
        string folder, long checkpointEvery, string? resume, StepProgress display, CancellationToken cancellation, int pathWorkers,
        NasActors.Core.Costs.AdditiveCostModel? latency = null) =>
        display.Run($"{options.Method} supernet", options.Steps, report =>
            SupernetTraining.Run(space, data, options, device, folder, checkpointEvery, resume,
                p => report(p.StepsDone, $"loss {p.Step.Loss:F3} acc {p.Step.Accuracy:P1} {p.ImagesPerSecond:F0} img/s" +
                    (p.Step.ArchitectureEntropy is { } h ? $" H {h:F2}" : "") + (p.Step.Argmax is { } argmax ? $" argmax {argmax}" : "")),
                cancel: cancellation, pathWorkers: pathWorkers, latency: latency));
}

/// <summary>
/// A cell space's derived cell (DARTS's discretisation: per edge the strongest op other than none) and how many of
/// its edges are skip connections or none, beside the plain argmax's counts: DARTS is known to collapse to skip
/// connections, and this is where a run shows whether it did.
/// </summary>
public sealed record CellReport(string Derived, int Skip, int None, string Argmax, int ArgmaxSkip, int ArgmaxNone, int Edges)
{
    public static CellReport? Of(BlockSpace space, ArchitectureDistribution? distribution)
    {
        if (space is not CellSpace || distribution is null) return null;
        var derived = CellSpace.Discretise(distribution);
        var argmax = distribution.Argmax();
        var (skip, none) = CellSpace.SkipAndNone(derived);
        var (argmaxSkip, argmaxNone) = CellSpace.SkipAndNone(argmax);
        return new CellReport(space.Format(derived), skip, none, space.Format(argmax), argmaxSkip, argmaxNone, derived.Count);
    }

    public override string ToString() =>
        $"derived cell {Derived}: {Skip} of {Edges} edges skip, {None} none (argmax with none: {Argmax}, {ArgmaxSkip} skip, {ArgmaxNone} none)";
}
