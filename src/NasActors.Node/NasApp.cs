using System.Runtime.InteropServices;
using NasActors.Node.Commands.Bench;
using NasActors.Node.Commands.Nodes;
using NasActors.Node.Commands.Engine;
using NasActors.Node.Commands.Input;
using NasActors.Node.Commands.Study;
using Spectre.Console.Cli;

namespace NasActors.Node;

/// <summary>
/// The <c>nas</c> command line: its commands, strict parsing (an unknown option is an error, never ignored) and the
/// one exception handler that maps every failure to an exit code (<see cref="ExitCodes"/>) and a line on standard
/// error, so standard output carries only results (and <c>--json</c> documents).
/// </summary>
public static class NasApp
{
    // Controllers of the torch layer (enas-lstm) are known to every command that reads a controller name.
    static NasApp() => NasActors.Torch.Controllers.TorchControllers.Register();

    public sealed record Entry(string Name, Type Command, string Description, string[]? Example = null)
    {
        /// <summary>The settings class of the command (the T of Command&lt;T&gt; / AsyncCommand&lt;T&gt;).</summary>
        public Type Settings
        {
            get
            {
                for (var t = Command; t is not null; t = t.BaseType)
                    if (t.IsGenericType && t.GetGenericArguments() is [var s] && typeof(CommandSettings).IsAssignableFrom(s)) return s;
                throw new InvalidOperationException($"{Command} has no settings type");
            }
        }
    }

    public static IReadOnlyList<Entry> Commands { get; } =
    [
        new("quickstart", typeof(QuickstartCommand),
            "Through the actor system: train a FairNAS supernet on the shipped Fashion-MNIST subset, search with evolution, print progress and the top-5."),
        new("node", typeof(NodeCommand), "Run a node with its roles (controller, trainer, evaluator) until stopped."),
        new("submit", typeof(SubmitCommand), "Validate a search spec (HOCON) and submit it to a node."),
        new("status", typeof(StatusCommand), "List searches and their progress, or show one search."),
        new("pause", typeof(SearchControlCommand), "Pause a search."),
        new("resume", typeof(SearchControlCommand), "Resume a paused search."),
        new("cancel", typeof(SearchControlCommand), "Cancel a search."),
        new("export", typeof(ExportCommand), "Write a search's top-k JSON and plots (accuracy against evaluations, Pareto front)."),
        new("train", typeof(TrainCommand), "Train a supernet with a one-shot method (--method) and write checkpoints."),
        new("latency-table", typeof(LatencyTableCommand),
            "Measure a space's per-layer latency table on this node's device at batch 1 (for nas train --latency-table) and check it is additive."),
        new("score", typeof(ScoreCommand), "Score architectures with a supernet checkpoint's inherited weights."),
        new("retrain", typeof(RetrainCommand), "Train one architecture stand-alone from scratch and report test accuracy."),
        new("method-study", typeof(MethodStudyCommand),
            "Every training method on one space, data set and image budget: cost, found architecture, Kendall tau / Spearman rho against a multi-seed stand-alone reference, with intervals and plots; resumable."),
        new("rank-study", typeof(MethodStudyCommand),
            "method-study with --methods spos,fairnas by default (the earlier ranking study)."),
        new("spaces", typeof(SpacesCommand), "List the block search spaces, or describe one."),
        new("doctor", typeof(DoctorCommand),
            "Check that this node runs tensors on its device, one operation after another, up to two supernet steps."),
        new("bench", typeof(BenchCommand),
            "Run search controllers against a tabular benchmark (CSV) for many seeds; report mean and std of the score of the returned architecture.",
            ["bench", "--table", "tests/data/nb201-cifar10.csv", "--space", "nb201", "--signal", "valid12", "--score", "test200",
             "--controller", "random,regularized-evolution", "--budget", "100", "--seeds", "300"]),
        new("benchmark-step", typeof(StepBenchmarkCommand),
            "Supernet step throughput (SPOS, FairNAS) in TorchSharp against PyTorch on this machine; prints ratios."),
        new("benchmark-methods", typeof(MethodBenchmarkCommand),
            "Training methods side by side, each in a child process: images/s and peak resident memory per method, with ratios to SPOS."),
        new("bench-actors", typeof(BenchActorsCommand),
            "Measure the actor + SQLite path with the stub evaluator: throughput, overhead against the ideal time, recovery time."),
        new("bench-partitions", typeof(BenchPartitionsCommand),
            "Network partitions between real node processes in Linux network namespaces (root): cut -> next recorded evaluation, healing -> cluster whole again; checks the journal's history."),
        new("bench-recovery", typeof(BenchRecoveryCommand),
            "Recovery times on real node processes and PostgreSQL: database back -> next recorded evaluation (target < 5 s), kill -9 of the population's host -> next recorded evaluation (target < 10 s); checks the journal."),
    ];

    /// <param name="commandFor">The command class to run for an entry (tests give one that does nothing, to check the options alone).</param>
    public static CommandApp Create(IReadOnlyList<string> args, TextWriter error, Func<Entry, Type>? commandFor = null)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("nas");
            config.UseStrictParsing();
            config.SetExceptionHandler((e, _) => ErrorReport.Write(e, args, error));
            var add = typeof(IConfigurator).GetMethod(nameof(IConfigurator.AddCommand))!;
            foreach (var entry in Commands)
            {
                var command = (ICommandConfigurator)add.MakeGenericMethod(commandFor?.Invoke(entry) ?? entry.Command).Invoke(config, [entry.Name])!;
                command.WithDescription(entry.Description);
                if (entry.Example is { } example) command.WithExample(example);
            }
        });
        return app;
    }

    /// <summary>Runs the command line: the arguments are scanned first (<see cref="CommandLineScan"/>), then parsed and run.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter? error = null, Func<Entry, Type>? commandFor = null)
    {
        error ??= Console.Error;
        if (args.Length > 0 && Commands.FirstOrDefault(c => c.Name == args[0]) is { } entry
            && CommandLineScan.Problem(entry.Name, entry.Settings, args) is { } problem)
            return Task.FromResult(ErrorReport.Write(new UsageException(problem), args, error));
        return RunInterruptibleAsync(Create(args, error, commandFor), args, error);
    }

    /// <summary>
    /// Ctrl+C (SIGINT) or SIGTERM cancels the running command's token: a study, the quickstart or a training stops at the
    /// next point it can (its node leaves gracefully, what is recorded stays; the same command resumes) and exits 130.
    /// A second signal ends the process at once.
    /// </summary>
    private static async Task<int> RunInterruptibleAsync(CommandApp app, string[] args, TextWriter error)
    {
        using var interrupt = new CancellationTokenSource();
        void OnSignal(PosixSignalContext context)
        {
            if (interrupt.IsCancellationRequested) return; // the second one: the default action, the process ends
            context.Cancel = true;
            error.WriteLine($"stopping ({context.Signal}); a second Ctrl+C or SIGTERM ends the process at once");
            interrupt.Cancel();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await app.RunAsync(args, interrupt.Token);
    }
}
