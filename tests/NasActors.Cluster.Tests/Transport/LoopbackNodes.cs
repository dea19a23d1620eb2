using System.Threading.Channels;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster;
using Akka.Configuration;
using NasActors.Cluster.Serialization;

namespace NasActors.Cluster.Tests.Transport;

/// <summary>Actor systems in this test process that form a cluster over loopback remoting (port 0: any free port).</summary>
public static class LoopbackNodes
{
    /// <summary>Cluster provider on 127.0.0.1 with short gossip timings, the NasSerializer bound, quiet logs.</summary>
    public static Config ClusterConfig(string extra = "") => ConfigurationFactory.ParseString(extra + "\n" + NasSerializer.Hocon + """

        akka {
          loglevel = WARNING
          stdout-loglevel = WARNING
          actor.provider = cluster
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
          cluster {
            gossip-interval = 200ms
            leader-actions-interval = 200ms
            unreachable-nodes-reaper-interval = 250ms
            # Tests stop nodes themselves; a node that cannot join stays alone instead of terminating.
            shutdown-after-unsuccessful-join-seed-nodes = off
            split-brain-resolver.stable-after = 5s
          }
          coordinated-shutdown.phases.cluster-exiting.timeout = 2s
          coordinated-shutdown.phases.cluster-leave.timeout = 2s
        }
        """);

    public static ActorSystem Start(string name, Config config, Setup? setup = null)
    {
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        var settings = setup is null ? ActorSystemSetup.Create(bootstrap) : ActorSystemSetup.Create(bootstrap, setup);
        return ActorSystem.Create(name, settings);
    }

    /// <summary>Completes when this node is Up in its own view of the cluster.</summary>
    public static Task UpAsync(ActorSystem system)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Akka.Cluster.Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task;
    }

    /// <summary>Completes when <paramref name="system"/> sees <paramref name="count"/> members Up.</summary>
    public static Task MembersUpAsync(ActorSystem system, int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cluster = Akka.Cluster.Cluster.Get(system);
        var watcher = system.ActorOf(Props.Create(() => new MembersWatcher(count, done)));
        cluster.Subscribe(watcher, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        return done.Task.ContinueWith(t => { system.Stop(watcher); return t; }, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Counts Up members from the subscription's own events (the cluster's read view may lag behind them).</summary>
    private sealed class MembersWatcher : ReceiveActor
    {
        public MembersWatcher(int count, TaskCompletionSource done)
        {
            var up = new HashSet<Address>();
            void Check() { if (up.Count >= count) done.TrySetResult(); }
            Receive<ClusterEvent.CurrentClusterState>(s =>
            {
                foreach (var m in s.Members.Where(m => m.Status == MemberStatus.Up)) up.Add(m.Address);
                Check();
            });
            Receive<ClusterEvent.MemberUp>(e => { up.Add(e.Member.Address); Check(); });
            Receive<ClusterEvent.IMemberEvent>(e => { if (e.Member.Status != MemberStatus.Up) up.Remove(e.Member.Address); });
        }
    }

    /// <summary>Joins <paramref name="second"/> to the cluster <paramref name="first"/> starts, and waits until both see both Up.</summary>
    public static async Task JoinAsync(ActorSystem first, ActorSystem second, TimeSpan within)
    {
        var a = Akka.Cluster.Cluster.Get(first);
        a.Join(a.SelfAddress);
        await UpAsync(first).WaitAsync(within);
        Akka.Cluster.Cluster.Get(second).Join(a.SelfAddress);
        await Task.WhenAll(MembersUpAsync(first, 2), MembersUpAsync(second, 2)).WaitAsync(within);
    }

    public static async Task StopAsync(params ActorSystem?[] systems)
    {
        foreach (var s in systems.Where(s => s is not null)) _ = s!.Terminate();
        await Task.WhenAll(systems.Where(s => s is not null).Select(s => s!.WhenTerminated)).WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>An actor that writes every message it receives into a channel (a probe usable in any system).</summary>
    public static (IActorRef Ref, ChannelReader<object> Messages) Collector(ActorSystem system, string? name = null)
    {
        var channel = Channel.CreateUnbounded<object>();
        var props = Props.Create(() => new CollectorActor(channel.Writer));
        return (name is null ? system.ActorOf(props) : system.ActorOf(props, name), channel.Reader);
    }

    private sealed class CollectorActor : ReceiveActor
    {
        public CollectorActor(ChannelWriter<object> writer) => ReceiveAny(m => writer.TryWrite(m));
    }

    /// <summary>The next message of type T (others are skipped), or a timeout.</summary>
    public static async Task<T> NextAsync<T>(this ChannelReader<object> reader, TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        while (true)
        {
            object m;
            try { m = await reader.ReadAsync(cts.Token); }
            catch (OperationCanceledException) { throw new TimeoutException($"No {typeof(T).Name} within {within}."); }
            if (m is T t) return t;
        }
    }
}
