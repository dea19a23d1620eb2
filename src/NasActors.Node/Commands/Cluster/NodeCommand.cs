using System.ComponentModel;
using NasActors.Cluster.Hosting;
using NasActors.Torch.Runtime;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Cluster;

public class NodeSettings : CommandSettings
{
    [PathText]
    [CommandOption("-c|--config <FILE>")]
    [Description("HOCON files applied after hocon/base.conf and hocon/persistence-sqlite.conf (later wins); names without a folder are looked up in hocon/.")]
    public string[] Config { get; init; } = [];

    [KeyValue(Hocon = true)]
    [CommandOption("--set <KEY=VALUE>")]
    [Description("A HOCON override, e.g. --set nas.port=4054 (repeatable).")]
    public string[] Set { get; init; } = [];

    [OneOf(NasRoles.Controller, NasRoles.Trainer, NasRoles.Evaluator)]
    [CommandOption("--role <ROLE>")]
    [Description("Roles to carry (controller, trainer, evaluator; repeatable). Default: the configuration's (all).")]
    public string[] Roles { get; init; } = [];

    [Port]
    [CommandOption("--port <PORT>")]
    [Description("Port to listen on (0: any free port). Default: the configuration's (4053).")]
    public int? Port { get; init; }

    public IEnumerable<string> Overrides()
    {
        foreach (var s in Set) yield return s;
        if (Roles.Length > 0) yield return $"nas.roles = [{string.Join(", ", Roles)}]";
        if (Port is { } p) yield return $"nas.port = {p}";
    }
}

/// <summary><c>nas node</c>: runs a node with its roles until stopped (Ctrl+C or SIGTERM); searches in the journal go on.</summary>
public sealed class NodeCommand : AsyncCommand<NodeSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, NodeSettings settings, CancellationToken cancellation)
    {
        var config = NodeConfig.Load(settings.Config, settings.Overrides());
        var (host, system, _, options) = await NodeConfig.StartAsync(config, cancellation);
        if (options.TrainingBackend == "torch" && options.Roles.Any(r => r is "trainer" or "evaluator"))
        {
            var runtime = TorchRuntime.Initialize();
            Console.WriteLine($"tensors on {runtime.Device}, {runtime.Threads} threads; host memory: {runtime.HostMemory.Description}");
        }
        var address = Akka.Cluster.Cluster.Get(system).SelfAddress;
        Console.WriteLine($"nas node up at {address.Host}:{address.Port} roles [{string.Join(", ", options.Roles)}] journal {(options.PersistenceBackend == "postgres" ? "PostgreSQL" : Path.GetFullPath(options.JournalFile))}");
        var pbm = NasActors.Cluster.Commands.CommandHost.Get(system);
        Console.WriteLine(pbm.Endpoint is { } e ? $"pbm host at {e.Address}:{e.Port}" : $"pbm host not started: {pbm.Failure ?? "disabled (nas.pbm.enabled = off)"}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
            c => { c.Cancel = true; stop.Cancel(); });
        try { await Task.Delay(Timeout.Infinite, stop.Token); }
        catch (OperationCanceledException) { }
        AnsiConsole.MarkupLine("Stopping...");
        await host.StopAsync();
        return 0;
    }
}
