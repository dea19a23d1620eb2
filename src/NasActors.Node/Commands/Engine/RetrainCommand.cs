using System.ComponentModel;
using System.Text.Json;
using NasActors.Core.Costs;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Training;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public sealed class RetrainSettings : SpaceDataSettings
{
    [ArchitectureText]
    [CommandOption("-a|--arch <ARCH>")]
    [Description("The architecture to build and train from scratch.")]
    public string Architecture { get; init; } = "";

    [AtLeastOne(10000)]
    [CommandOption("--epochs <N>")]
    [DefaultValue(10)]
    public int Epochs { get; init; } = 10;

    [AtLeastOne(65536)]
    [CommandOption("--batch-size <N>")]
    [DefaultValue(128)]
    public int BatchSize { get; init; } = 128;

    [Positive]
    [CommandOption("--lr <RATE>")]
    [DefaultValue(0.1)]
    public double LearningRate { get; init; } = 0.1;

    [NonNegative]
    [CommandOption("--weight-decay <WD>")]
    [DefaultValue(5e-4)]
    public double WeightDecay { get; init; } = 5e-4;

    [NonNegative]
    [CommandOption("--seed <SEED>")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;

    public override ValidationResult Validate() =>
        string.IsNullOrWhiteSpace(Architecture) ? ValidationResult.Error("--arch is required.") : base.Validate();
}

/// <summary><c>nas retrain</c>: trains one architecture stand-alone on the whole training set and reports test accuracy.</summary>
public sealed class RetrainCommand : Command<RetrainSettings>
{
    public override int Execute(CommandContext context, RetrainSettings settings, CancellationToken cancellation)
    {
        var runtime = settings.InitializeTorch();
        var space = BlockSpaces.Get(settings.SpaceOrDefault);
        var arch = space.Parse(settings.Architecture);
        var bundle = DatasetCatalog.Load(settings.DatasetOrDefault, settings.DataDir);
        bundle.Train.EnsureImageShape(space.Input.Channels, space.Input.Height, space.Input.Width);
        var options = new StandaloneOptions
        {
            Epochs = settings.Epochs, BatchSize = settings.BatchSize, LearningRate = settings.LearningRate,
            WeightDecay = settings.WeightDecay, Seed = settings.Seed,
        };
        var train = new BatchLoader(bundle.Train, options.BatchSize, options.Seed, bundle.Normalization, shuffle: true, dropLast: true);
        var test = new BatchLoader(bundle.Test, 500, 0, bundle.Normalization, shuffle: false);
        var score = new StepProgress(settings.Json).Run($"stand-alone {space.Format(arch)}", options.Epochs, report =>
            StandaloneTrainer.Train(space, arch, train, test, options, runtime.Device,
                e => report(e.Epoch, $"loss {e.TrainLoss:F3} train acc {e.TrainAccuracy:P1}")));
        var costs = space.CostModel();
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                architecture = space.Format(arch), testAccuracy = score.Accuracy, testLoss = score.Loss, epochs = options.Epochs,
                flops = costs.Cost(CostMetrics.Flops, arch), @params = costs.Cost(CostMetrics.Params, arch),
            }, JsonOutput.Options));
        else
            AnsiConsole.MarkupLine($"{space.Format(arch)}: test accuracy [green]{score.Accuracy:P2}[/] (loss {score.Loss:F3}) after {options.Epochs} epochs");
        return 0;
    }
}
