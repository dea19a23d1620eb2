using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// What a node does when it is no longer of use to the cluster (<c>nas.cluster</c> block, see hocon/base.conf):
/// removed from the cluster (downed by the split-brain resolver or an operator), or in a cluster where no reachable
/// member carries the controller role (the role of the populations and of the evaluation-queue singleton).
/// </summary>
public sealed record MembershipOptions
{
    public WhenRemoved WhenRemoved { get; init; } = WhenRemoved.Rejoin;

    /// <summary>How long a node without the controller role waits in a cluster with no reachable controller before it acts; zero: never.</summary>
    public TimeSpan MissingControllerTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool Rejoins => WhenRemoved == WhenRemoved.Rejoin;
}

/// <summary>What a node removed from the cluster does (<c>nas.cluster.when-removed</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WhenRemoved>))]
public enum WhenRemoved
{
    /// <summary>
    /// The node starts a new actor system in the same process and joins again through its seed nodes (an Akka node
    /// cannot join again once removed: only a new actor system can).
    /// </summary>
    [JsonStringEnumMemberName("rejoin")] Rejoin,
    /// <summary>The process ends with exit code 1 and a supervisor (systemd, Docker's restart policy, Kubernetes) starts it again.</summary>
    [JsonStringEnumMemberName("exit")] Exit,
}

/// <summary>
/// Why a node's actor system was stopped so that the node joins the cluster again, through these seed nodes only
/// (the seed nodes that were not members of the cluster it leaves: a cluster with a controller, formed apart from it).
/// </summary>
public sealed class RejoinClusterReason(string why, IReadOnlyList<string> seedNodes) : CoordinatedShutdown.Reason
{
    public string Why { get; } = why;
    public IReadOnlyList<string> SeedNodes { get; } = seedNodes;
    /// <summary>Only read when akka.coordinated-shutdown.exit-clr is on (it is not): the node command decides the exit code.</summary>
    public override int ExitCode => 1;
    public override string ToString() => $"{Why}; rejoining through {string.Join(", ", SeedNodes)}";
}

/// <summary>
/// Watches, on a node without the controller role, that the cluster still has a reachable controller. After
/// <see cref="MembershipOptions.MissingControllerTimeout"/> without one, it logs an error and, when some of the node's
/// seed nodes are not reachable members of this cluster (a restarted controller that formed a cluster of its own, the
/// island of issue 18), stops the actor system with <see cref="RejoinClusterReason"/> naming them: the node command
/// starts it again and it joins them. When every seed node is here, there is no other cluster to join: it keeps
/// waiting (a restarted controller lists these nodes as seeds and joins them) and says so again after each timeout.
/// </summary>
public sealed class MembershipWatchdog : ReceiveActor, IWithTimers
{
    private sealed class Check { public static readonly Check Instance = new(); }

    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DateTime? _missingSince;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan timeout, IReadOnlyList<string> seedNodes, string role = NasRoles.Controller) =>
        Akka.Actor.Props.Create(() => new MembershipWatchdog(timeout, seedNodes, role));

    public MembershipWatchdog(TimeSpan timeout, IReadOnlyList<string> seedNodes, string role)
    {
        var seeds = seedNodes.Select(Address.Parse).ToArray();
        Receive<Check>(_ =>
        {
            var state = _cluster.State;
            var self = _cluster.SelfMember;
            if (self.Status != MemberStatus.Up && self.Status != MemberStatus.WeaklyUp) { _missingSince = null; return; }
            var reachable = state.Members.Where(m => !state.Unreachable.Contains(m)
                && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining).ToArray();
            if (reachable.Any(m => m.HasRole(role))) { _missingSince = null; return; }
            var now = DateTime.UtcNow;
            _missingSince ??= now;
            if (now - _missingSince < timeout) return;
            var elsewhere = seeds.Where(s => s != _cluster.SelfAddress && reachable.All(m => m.Address != s)).Select(s => s.ToString()).ToArray();
            var why = $"no reachable member with the {role} role for {timeout.TotalSeconds:0} s (nas.cluster.missing-controller-timeout)";
            if (elsewhere.Length == 0)
            {
                _log.Error("{0}; every seed node is in this cluster, so there is no other cluster to join: waiting for a {1} node to join", why, role);
                _missingSince = now;
                return;
            }
            _log.Error("{0}: leaving this cluster to join the seed node(s) outside it: {1}", why, string.Join(", ", elsewhere));
            Timers.CancelAll();
            CoordinatedShutdown.Get(Context.System).Run(new RejoinClusterReason(why, elsewhere));
        });
    }

    protected override void PreStart() => Timers.StartPeriodicTimer("check", Check.Instance, TimeSpan.FromSeconds(1));
}

/// <summary>
/// How a node that was downed rejoins without forming a second cluster. Only the first seed node may form a new
/// cluster (when no other seed node answers within <c>akka.cluster.seed-node-timeout</c>); a first seed node downed
/// on the minority side of a partition that is still cut would do exactly that, and its controllers would run the
/// same searches as the majority's, on the same journal (measured: the partition tests, issue 20). So it rejoins
/// through the other seed nodes only, and forms a cluster again only when a majority of the seed nodes (itself
/// included) has been reachable for 30 s and still none let it in: then there is no cluster left to join (every node
/// was downed, e.g. by down-all-when-unstable), and not forming one would keep every node out for good. Even then it
/// joins an existing cluster first if one answers (the first seed node asks the others before it forms one).
/// </summary>
public static class RejoinSeeds
{
    /// <summary>The seed nodes to rejoin through after being downed: without this node when it is the first of several.</summary>
    public static IReadOnlyList<string> AfterDowning(IReadOnlyList<string> seeds, Address self) =>
        seeds.Count > 1 && Address.Parse(seeds[0]).Equals(self) ? seeds.Skip(1).ToArray() : seeds;

    /// <summary>Whether more than half of <paramref name="seeds"/> (this node counting as reachable) accept a TCP connection within <paramref name="timeout"/>.</summary>
    public static async Task<bool> MajorityReachableAsync(IReadOnlyList<string> seeds, Address self, TimeSpan timeout)
    {
        var others = seeds.Select(Address.Parse).Where(a => !a.Equals(self) && a.Host is not null && a.Port is not null).ToArray();
        var answers = await Task.WhenAll(others.Select(async a =>
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await tcp.ConnectAsync(a.Host!, a.Port!.Value, cts.Token);
                return true;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException) { return false; }
        }));
        return (answers.Count(x => x) + 1) * 2 > seeds.Count;
    }
}
