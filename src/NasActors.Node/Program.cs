using NasActors.Node.Benchmarks;
using NasActors.Node.Commands.Bench;
using NasActors.Node.Commands.Engine;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("nas");
    config.AddCommand<QuickstartCommand>("quickstart")
        .WithDescription("Train a FairNAS supernet on the shipped Fashion-MNIST subset, score a sample of architectures, print the top-5.");
    config.AddCommand<TrainCommand>("train").WithDescription("Train a supernet (SPOS or FairNAS) and write checkpoints.");
    config.AddCommand<ScoreCommand>("score").WithDescription("Score architectures with a supernet checkpoint's inherited weights.");
    config.AddCommand<RetrainCommand>("retrain").WithDescription("Train one architecture stand-alone from scratch and report test accuracy.");
    config.AddCommand<SpacesCommand>("spaces").WithDescription("List the block search spaces, or describe one.");
    config.AddBench();
    config.AddCommand<StepBenchmarkCommand>("benchmark-step")
        .WithDescription("Supernet step throughput (SPOS, FairNAS) in TorchSharp against PyTorch on this machine; prints ratios.");
});
return await app.RunAsync(args);
