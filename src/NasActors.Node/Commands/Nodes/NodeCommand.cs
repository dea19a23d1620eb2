using System.ComponentModel;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NasActors.Cluster.Hosting;
using NasActors.Core.Input;
using NasActors.Torch.Runtime;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Nodes;

/// <summary>The node's configuration files and overrides: a node runs with them, a client reads its transport (TLS) from them.</summary>
public class ConfigFileSettings : CommandSettings
{
    [PathText]
    [CommandOption("-c|--config <FILE>")]
    [Description("HOCON files applied after hocon/base.conf and hocon/persistence-sqlite.conf (later wins); names without a folder are looked up in hocon/. Commands that talk to a node read its TLS settings from them (--config tls).")]
    public string[] Config { get; init; } = [];

    [KeyValue(Hocon = true)]
    [CommandOption("--set <KEY=VALUE>")]
    [Description("A HOCON override, e.g. --set nas.port=4054 (repeatable).")]
    public string[] Set { get; init; } = [];
}

public class NodeSettings : ConfigFileSettings
{

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

/// <summary>
/// <c>nas node</c>: runs a node with its roles until stopped (Ctrl+C or SIGTERM); searches in the journal go on.
/// It prints "up" once the node is a member of the cluster. A node that cannot start (<see cref="NodeStartChecks"/>)
/// prints one line naming the setting and exits with its code (2: bad input, 3: a database not reached). A node
/// removed from the cluster (downed) or left without a controller (<see cref="MembershipWatchdog"/>) starts a new actor
/// system and joins again (<c>nas.cluster.when-removed = rejoin</c>), or exits with code 1 (<c>exit</c>).
/// </summary>
public sealed class NodeCommand : AsyncCommand<NodeSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, NodeSettings settings, CancellationToken cancellation)
    {
        var config = NodeConfig.Load(settings.Config, settings.Overrides());
        // Ctrl+C and SIGTERM cancel the command's token (NasApp): the node leaves the cluster gracefully.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var stopped = Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        IReadOnlyList<string>? rejoinSeeds = null;
        IReadOnlyList<string>? formingSeeds = null; // a downed first seed node's full list, while it rejoins without itself
        var runtimeShown = false;
        for (var incarnation = 0; ; incarnation++)
        {
            IHost host;
            ActorSystem system;
            NasNodeOptions options;
            try
            {
                (host, system, options) = await StartAsync(config, rejoinSeeds, rejoining: incarnation > 0, stop.Token);
            }
            catch (NodeStartException e)
            {
                await Console.Error.WriteLineAsync($"nas: {e.Message}");
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return 0; }
            if (!runtimeShown && options.Backend == NodeBackend.Torch && options.Roles.Any(r => r is "trainer" or "evaluator"))
            {
                var runtime = TorchRuntime.Initialize();
                Console.WriteLine($"tensors on {runtime.Device}, {runtime.Threads} threads; host memory: {runtime.HostMemory.Description}");
                runtimeShown = true;
            }
            var pbm = NasActors.Pbm.Host.CommandHost.Get(system);
            if (pbm.Settings.Enabled && pbm.Endpoint is null)
            {
                await host.StopAsync();
                host.Dispose();
                await Console.Error.WriteLineAsync($"nas: pbm host not started on {pbm.Settings.Host}:{pbm.Settings.Port}: {pbm.Failure} (nas.pbm.port)");
                return NodeStartException.BadInput;
            }
            var cluster = Akka.Cluster.Cluster.Get(system);
            var address = cluster.SelfAddress;
            var seeds = options.SeedNodes.Count == 0 ? "none: a cluster of its own" : string.Join(", ", options.SeedNodes);
            Console.WriteLine($"nas node at {address.Host}:{address.Port} joining (seed nodes: {(options.Discovery.UsesBootstrap ? $"discovery ({options.Discovery.Method.ToWire()})" : seeds)})");
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.RegisterOnMemberUp(() => up.TrySetResult());
            var majorityReachable = 0;
            while (await Task.WhenAny(up.Task, system.WhenTerminated, stopped, Task.Delay(TimeSpan.FromSeconds(formingSeeds is null ? 30 : 10))) is var first
                   && first != up.Task && first != system.WhenTerminated && first != stopped)
            {
                // Three checks in a row (30 s): right after a partition heals the seed nodes answer before they let this node in.
                majorityReachable = formingSeeds is not null && await RejoinSeeds.MajorityReachableAsync(formingSeeds, address, TimeSpan.FromSeconds(1))
                    ? majorityReachable + 1 : 0;
                if (majorityReachable >= 3 && formingSeeds is not null)
                {
                    _ = CoordinatedShutdown.Get(system).Run(new RejoinClusterReason(
                        "no cluster let this node in for 30 s while a majority of its seed nodes could be reached: as the first seed node, joining or forming one", formingSeeds));
                    formingSeeds = null;
                    continue;
                }
                Console.WriteLine($"nas node at {address.Host}:{address.Port} still joining: no seed node has let it in yet ({seeds})");
            }
            if (up.Task.IsCompleted)
            {
                Console.WriteLine($"nas node up at {address.Host}:{address.Port} roles [{string.Join(", ", options.Roles)}] journal {(options.PersistenceBackend == PersistenceBackend.Postgres ? "PostgreSQL" : Path.GetFullPath(options.JournalFile))}");
                Console.WriteLine(pbm.Endpoint is { } e ? $"pbm host at {e.Address}:{e.Port}" : "pbm host not started: disabled (nas.pbm.enabled = off)");
                if (host.Services.GetService<NasActors.Dashboard.DashboardServer>() is { Address: { } dashboard }) Console.WriteLine($"dashboard at {dashboard}");
            }
            await Task.WhenAny(system.WhenTerminated, stopped);
            // SIGTERM reaches the generic host's console lifetime too, which may stop the actor system first (ClrExitReason).
            if (stop.IsCancellationRequested || CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClrExitReason)
            {
                AnsiConsole.MarkupLine("Stopping...");
                await host.StopAsync();
                host.Dispose();
                return 0;
            }
            // The actor system ended by itself: downed, left, or stopped by the membership watchdog.
            var reason = CoordinatedShutdown.Get(system).ShutdownReason;
            await host.StopAsync();
            host.Dispose();
            var rejoin = options.Membership.Rejoins;
            switch (reason)
            {
                case CoordinatedShutdown.ClusterLeavingReason:
                    Console.WriteLine($"nas node at {address.Host}:{address.Port} left the cluster");
                    return 0;
                case CoordinatedShutdown.ClusterJoinUnsuccessfulReason:
                    await Console.Error.WriteLineAsync($"nas: no seed node let this node in ({seeds}; akka.cluster.shutdown-after-unsuccessful-join-seed-nodes)");
                    return NodeStartException.Unreachable;
                case RejoinClusterReason r:
                    await Console.Error.WriteLineAsync($"nas: {r.Why}: {(rejoin ? $"joining again through {string.Join(", ", r.SeedNodes)}" : "exiting (nas.cluster.when-removed = exit)")}");
                    if (!rejoin) return 1;
                    rejoinSeeds = r.SeedNodes;
                    break;
                case CoordinatedShutdown.ClusterDowningReason:
                    await Console.Error.WriteLineAsync($"nas: this node was removed from the cluster (downed): {(rejoin ? "joining again through its seed nodes" : "exiting (nas.cluster.when-removed = exit)")}");
                    if (!rejoin) return 1;
                    // The first seed node rejoins through the others only: it must not form a second cluster while a partition lasts.
                    var others = RejoinSeeds.AfterDowning(options.SeedNodes, address);
                    if (others.Count < options.SeedNodes.Count)
                    {
                        formingSeeds = options.SeedNodes;
                        rejoinSeeds = others;
                        await Console.Error.WriteLineAsync($"nas: as the first seed node, rejoining through the others only ({string.Join(", ", others)})");
                    }
                    else rejoinSeeds = formingSeeds is null ? null : rejoinSeeds;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"nas: the actor system stopped ({reason?.GetType().Name ?? "no reason given"})");
                    return 1;
            }
        }
    }

    /// <summary>
    /// Starts the node; a rejoin retries for a while when its own old ports are not yet free (the previous actor
    /// system's sockets close asynchronously), and for as long as it takes when the database cannot be reached: a node
    /// downed in a network partition that also cut it off the database rejoins once the network heals, where exiting
    /// (exit code 3, right for a first start) would leave no process to rejoin.
    /// </summary>
    private static async Task<(IHost, ActorSystem, NasNodeOptions)> StartAsync(Akka.Configuration.Config config, IReadOnlyList<string>? seeds,
        bool rejoining, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(rejoining ? 15 : 0);
        var told = false;
        while (true)
        {
            try
            {
                var (host, system, _, options) = await NodeConfig.StartAsync(config, cancel,
                    seeds is null ? null : o => o with { SeedNodes = seeds });
                return (host, system, options);
            }
            catch (NodeStartException e) when (e.Message.Contains("is in use") && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, cancel);
            }
            catch (NodeStartException e) when (rejoining && e.ExitCode == NodeStartException.Unreachable)
            {
                if (!told) await Console.Error.WriteLineAsync($"nas: rejoining: {e.Message}; trying again every 2 s");
                told = true;
                await Task.Delay(2000, cancel);
            }
        }
    }
}
