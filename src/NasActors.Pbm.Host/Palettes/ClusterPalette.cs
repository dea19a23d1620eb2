using Akka.Actor;
using Akka.Cluster;
using NasActors.Pbm.Protocol;
using static NasActors.Pbm.Host.Palettes.PaletteSupport;

namespace NasActors.Pbm.Host.Palettes;

/// <summary>The <c>cluster</c> palette, with Petabridge.Cmd's output formats.</summary>
public static class ClusterPalette
{
    private static readonly ArgumentDefinition Address =
        CommandPalette.Switch("address", "a", "a member's address, e.g. akka.tcp://nas@127.0.0.1:4053", mandatory: true);

    public static CommandPalette Create() => new CommandPalette("cluster", "members of the cluster: show, join, leave, down")
        .Command("show", "every member: address | [roles] | status | unreachable | version", Show)
        .Command("status", "this node's member line", Status)
        .Command("leader", "the leader's address", Leader)
        .Command("leave", "this node (or the member -a) leaves the cluster gracefully", Leave,
            CommandPalette.Switch("address", "a", "the member that leaves (default: this node)"))
        .Command("down", "marks a member down (e.g. a crashed node)", Down, Address)
        .Command("down-unreachable", "marks every unreachable member down", DownUnreachable)
        .Command("join", "this node joins the cluster of the given seed", Join, Address)
        .Stream("tail", "member and reachability events, as they happen", Tail);

    private static Akka.Cluster.Cluster Of(CommandRequest r) => Akka.Cluster.Cluster.Get(r.System);

    private static async Task Show(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var state = Of(r).State;
        var members = state.Members.Concat(state.Unreachable).Distinct().OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).ToArray();
        foreach (var m in members) await output.WriteLineAsync(MemberLine(m, state.Unreachable.Contains(m)));
        await output.WriteLineAsync($"Count: {members.Length} nodes");
    }

    private static async Task Status(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var cluster = Of(r);
        await output.WriteLineAsync(MemberLine(cluster.SelfMember, cluster.State.Unreachable.Contains(cluster.SelfMember)));
    }

    private static async Task Leader(CommandRequest r, ICommandOutput output, CancellationToken cancel) =>
        await output.WriteLineAsync(Of(r).State.Leader?.ToString() ?? throw new CommandFailedException("no leader yet"));

    private static async Task Leave(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var cluster = Of(r);
        var address = r.Get("address") is { Length: > 0 } a ? KnownMember(cluster, a) : cluster.SelfAddress;
        cluster.Leave(address);
        await output.WriteLineAsync($"{address} is leaving the cluster");
    }

    private static async Task Down(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var cluster = Of(r);
        var address = KnownMember(cluster, r.Required("address"));
        cluster.Down(address);
        await output.WriteLineAsync($"{address} marked down");
    }

    private static async Task DownUnreachable(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var cluster = Of(r);
        var unreachable = cluster.State.Unreachable.ToArray();
        if (unreachable.Length == 0) { await output.WriteLineAsync("no unreachable members"); return; }
        foreach (var m in unreachable)
        {
            cluster.Down(m.Address);
            await output.WriteLineAsync($"{m.Address} marked down");
        }
    }

    private static async Task Join(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var address = ParseAddress(r.Required("address"));
        Of(r).Join(address);
        await output.WriteLineAsync($"joining {address}");
    }

    private static Task Tail(CommandRequest r, ICommandOutput output, CancellationToken cancel) =>
        TapAsync(r.System,
            tap => Of(r).Subscribe(tap, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged)),
            e => e switch
            {
                ClusterEvent.IMemberEvent m => $"{Name(e)}: {MemberLine(m.Member, false)}",
                ClusterEvent.UnreachableMember u => $"unreachable: {u.Member.Address}",
                ClusterEvent.ReachableMember u => $"reachable: {u.Member.Address}",
                ClusterEvent.LeaderChanged l => $"leader: {l.Leader?.ToString() ?? "none"}",
                _ => null,
            },
            output, cancel);

    private static string Name(object e) => e.GetType().Name.Replace("Member", "", StringComparison.Ordinal).ToLowerInvariant() is { Length: > 0 } n
        ? "member-" + n : "member";

    private static Address KnownMember(Akka.Cluster.Cluster cluster, string text)
    {
        var address = ParseAddress(text);
        if (!cluster.State.Members.Any(m => m.Address.Equals(address)) && !cluster.State.Unreachable.Any(m => m.Address.Equals(address)))
            throw new CommandFailedException($"no member at {address} (see cluster show)");
        return address;
    }
}
