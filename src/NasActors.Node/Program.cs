using NasActors.Node.Benchmarks;
using NasActors.Node.Commands.Bench;
using NasActors.Node.Commands.Cluster;
using NasActors.Node.Commands.Engine;
using NasActors.Node.Commands.Study;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("nas");
    config.AddCommand<QuickstartCommand>("quickstart")
        .WithDescription("Through the actor system: train a FairNAS supernet on the shipped Fashion-MNIST subset, search with evolution, print progress and the top-5.");
    config.AddCommand<NodeCommand>("node").WithDescription("Run a node with its roles (controller, trainer, evaluator) until stopped.");
    config.AddCommand<SubmitCommand>("submit").WithDescription("Validate a search spec (HOCON) and submit it to a node.");
    config.AddCommand<StatusCommand>("status").WithDescription("List searches and their progress, or show one search.");
    config.AddCommand<SearchControlCommand>("pause").WithDescription("Pause a search.");
    config.AddCommand<SearchControlCommand>("resume").WithDescription("Resume a paused search.");
    config.AddCommand<SearchControlCommand>("cancel").WithDescription("Cancel a search.");
    config.AddCommand<ExportCommand>("export").WithDescription("Write a search's top-k JSON and plots (accuracy against evaluations, Pareto front).");
    config.AddCommand<TrainCommand>("train").WithDescription("Train a supernet (SPOS or FairNAS) and write checkpoints.");
    config.AddCommand<ScoreCommand>("score").WithDescription("Score architectures with a supernet checkpoint's inherited weights.");
    config.AddCommand<RetrainCommand>("retrain").WithDescription("Train one architecture stand-alone from scratch and report test accuracy.");
    config.AddCommand<RankStudyCommand>("rank-study")
        .WithDescription("How well SPOS and FairNAS supernets rank architectures: Kendall tau and Spearman rho against stand-alone training, with intervals and plots; resumable.");
    config.AddCommand<DoctorCommand>("doctor")
        .WithDescription("Check that this node runs tensors on its device, one operation after another, up to two supernet steps.");
    config.AddCommand<SpacesCommand>("spaces").WithDescription("List the block search spaces, or describe one.");
    config.AddBench();
    config.AddCommand<StepBenchmarkCommand>("benchmark-step")
        .WithDescription("Supernet step throughput (SPOS, FairNAS) in TorchSharp against PyTorch on this machine; prints ratios.");
    config.AddCommand<BenchActorsCommand>("bench-actors")
        .WithDescription("Measure the actor + SQLite path with the stub evaluator: throughput, overhead against the ideal time, recovery time.");
    config.AddCommand<BenchRecoveryCommand>("bench-recovery")
        .WithDescription("Recovery times on real node processes and PostgreSQL: database back -> next recorded evaluation (target < 5 s), kill -9 of the population's host -> next recorded evaluation (target < 10 s); checks the journal.");
});
return await app.RunAsync(args);
