using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Scoring;
using NasActors.Torch.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public sealed class QuickstartSettings : EngineSettings
{
    [CommandOption("--space <SPACE>")]
    [DefaultValue(BlockSpaces.FmnistMbConv)]
    public string Space { get; init; } = BlockSpaces.FmnistMbConv;

    [CommandOption("--steps <N>")]
    [Description("FairNAS steps (each trains every choice once, on m batches).")]
    [DefaultValue(Quickstart.Steps)]
    public long Steps { get; init; } = Quickstart.Steps;

    [CommandOption("--candidates <N>")]
    [Description("Architectures sampled and scored with inherited weights.")]
    [DefaultValue(Quickstart.Candidates)]
    public int Candidates { get; init; } = Quickstart.Candidates;

    [CommandOption("--seed <SEED>")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;

    [CommandOption("-o|--out <FOLDER>")]
    [DefaultValue("runs/quickstart")]
    public string Out { get; init; } = "runs/quickstart";
}

/// <summary>The quickstart's preset: sized to finish in minutes on two CPU cores.</summary>
public static class Quickstart
{
    public const long Steps = 240;
    public const int Candidates = 24;
    public const int BatchSize = 128;
    public const double LearningRate = 0.05;
}

/// <summary>
/// <c>nas quickstart</c>: FairNAS supernet training on the shipped Fashion-MNIST subset, then scoring of a sample of
/// architectures with inherited weights, and the top-5 with FLOPs and validation accuracy.
/// </summary>
public sealed class QuickstartCommand : Command<QuickstartSettings>
{
    public override int Execute(CommandContext context, QuickstartSettings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var runtime = settings.InitializeTorch();
        var space = BlockSpaces.Get(settings.Space);
        var data = SearchData.Load(DatasetCatalog.FashionMnistEmbedded, null, SearchData.DefaultValidationFraction, settings.Seed);
        var options = new SupernetTrainingOptions
        {
            Method = "fairnas", Steps = settings.Steps, BatchSize = Quickstart.BatchSize, LearningRate = Quickstart.LearningRate,
            Seed = settings.Seed, WarmupSteps = Math.Min(10, settings.Steps - 1),
        };
        var display = new StepProgress(settings.Json);
        if (!settings.Json)
            AnsiConsole.MarkupLine($"[bold]NasActors quickstart[/]: FairNAS supernet of {space.Name} ({NasActors.Core.Spaces.SearchSpaceExtensions.Size(space):G3} architectures) on " +
                                   $"{data.Bundle.Name}: {data.Split.Train.Length} train / {data.Split.Validation.Length} validation images, {runtime.Device}, {runtime.Threads} threads");
        var outcome = TrainCommand.Train(space, data, options, runtime.Device, Path.Combine(settings.Out, "checkpoints"), 0, null, display, cancellation);
        using var evaluator = new CandidateEvaluator(outcome.Checkpoint.Path, new ScoringOptions(), runtime.Device, data: data);
        var candidates = ScoreCommand.SampleDistinct(space, settings.Candidates, settings.Seed, []);
        var scores = ScoreCommand.ScoreAll(evaluator, candidates, display, cancellation);
        var top = ScoreCommand.Ranked(scores, 5);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                space = space.Name, method = options.Method, steps = outcome.Steps, checkpoint = outcome.Checkpoint.Sha256,
                imagesPerSecond = outcome.ImagesPerSecond, seconds = clock.Elapsed.TotalSeconds, scored = scores.Count,
                top = top.Select(ScoreCommand.ToJson),
            }, JsonOutput.Options));
            return 0;
        }
        AnsiConsole.MarkupLine($"Supernet: {outcome.Steps} steps, {outcome.ImagesPerSecond:F0} img/s, checkpoint {outcome.Checkpoint.Sha256[..12]}");
        AnsiConsole.MarkupLine($"Top-5 of {scores.Count} architectures scored with inherited weights (after BatchNorm recalibration):");
        AnsiConsole.Write(ScoreCommand.Table(space, top));
        AnsiConsole.MarkupLine($"Done in {clock.Elapsed:mm\\:ss}.");
        return 0;
    }
}
