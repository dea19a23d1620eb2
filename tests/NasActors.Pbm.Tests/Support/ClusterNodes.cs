using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using NasActors.Pbm.Host;

namespace NasActors.Pbm.Tests.Support;

/// <summary>
/// Cluster nodes as actor systems in this process, on loopback with port 0 (remoting and pbm host), fast failure
/// detection and no automatic downing (so the tests' pbm commands are what downs a node).
/// </summary>
public sealed class ClusterNodes : IAsyncDisposable
{
    private readonly List<ActorSystem> _systems = [];

    public static Config NodeConfig(string roles, string extra = "") => ConfigurationFactory.ParseString($$"""
        akka.loglevel = INFO
        akka.stdout-loglevel = WARNING
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        akka.cluster {
          roles = [{{roles}}]
          downing-provider-class = ""
          run-coordinated-shutdown-when-down = on
          gossip-interval = 200ms
          leader-actions-interval = 200ms
          unreachable-nodes-reaper-interval = 200ms
          failure-detector { heartbeat-interval = 200ms, acceptable-heartbeat-pause = 1s, expected-response-after = 200ms }
          sharding.state-store-mode = ddata
          sharding.distributed-data.durable.keys = []
        }
        akka.coordinated-shutdown.exit-clr = off
        nas.pbm { port = 0, idle-timeout = 5s }
        {{extra}}
        """);

    public IReadOnlyList<ActorSystem> Systems => _systems;

    /// <summary>Starts a node (with its pbm host) and joins it to the first node started (or to itself).</summary>
    public ActorSystem Start(string roles, string extra = "")
    {
        var system = ActorSystem.Create("nas", NodeConfig(roles, extra));
        _systems.Add(system);
        var host = CommandHost.Get(system);
        if (host.Endpoint is null) throw new InvalidOperationException($"pbm host did not start: {host.Failure}");
        var cluster = Akka.Cluster.Cluster.Get(system);
        cluster.Join(Akka.Cluster.Cluster.Get(_systems[0]).SelfAddress);
        return system;
    }

    public static string Pbm(ActorSystem system) => $"127.0.0.1:{CommandHost.Get(system).Endpoint!.Port}";

    public static Address AddressOf(ActorSystem system) => Akka.Cluster.Cluster.Get(system).SelfAddress;

    public static Task AllUpAsync(ActorSystem observer, int count) => Eventually.HoldsAsync(
        () => Akka.Cluster.Cluster.Get(observer).State.Members.Count(m => m.Status == MemberStatus.Up) == count,
        $"{count} members up, seen from {AddressOf(observer)}");

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _systems) await s.Terminate().WaitAsync(TimeSpan.FromSeconds(20)).ContinueWith(_ => { });
    }
}
