using Akka.Cluster;
using NasActors.Pbm.Tests.Support;

namespace NasActors.Pbm.Tests;

/// <summary>The cluster palette, through the real client, against cluster nodes started by the test.</summary>
public sealed class ClusterPaletteSpec
{
    [Fact]
    public async Task Cluster_show_lists_all_members_with_roles()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        var b = nodes.Start("evaluator, trainer");
        var c = nodes.Start("evaluator");
        foreach (var n in new[] { a, b, c }) await ClusterNodes.AllUpAsync(n, 3);

        var result = await PbmCli.RunAsync(ClusterNodes.Pbm(b), "cluster", "show");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{ClusterNodes.AddressOf(a)} | [controller] | up |  | ", result.Output);
        Assert.Contains($"{ClusterNodes.AddressOf(b)} | [evaluator,trainer] | up |  | ", result.Output);
        Assert.Contains($"{ClusterNodes.AddressOf(c)} | [evaluator] | up |  | ", result.Output);
        Assert.Equal("Count: 3 nodes", result.Lines[^1]);

        var status = await PbmCli.RunAsync(ClusterNodes.Pbm(c), "cluster", "status");
        Assert.StartsWith($"{ClusterNodes.AddressOf(c)} | [evaluator] | up", status.Output);
        var leader = await PbmCli.RunAsync(ClusterNodes.Pbm(c), "cluster", "leader");
        Assert.Equal(Akka.Cluster.Cluster.Get(c).State.Leader!.ToString(), leader.Lines.Single());
    }

    [Fact]
    public async Task Cluster_leave_makes_the_node_leave()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        var b = nodes.Start("evaluator");
        await ClusterNodes.AllUpAsync(a, 2);
        var leaving = ClusterNodes.AddressOf(b);

        var result = await PbmCli.RunAsync(ClusterNodes.Pbm(b), "cluster", "leave");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{leaving} is leaving the cluster", result.Output);
        await Eventually.HoldsAsync(() => Akka.Cluster.Cluster.Get(a).State.Members.All(m => !m.Address.Equals(leaving)), "the node removed");
        await b.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30)); // a node that left shuts down
        var show = await PbmCli.RunAsync(ClusterNodes.Pbm(a), "cluster", "show");
        Assert.Equal("Count: 1 nodes", show.Lines[^1]);
    }

    [Fact]
    public async Task Cluster_down_downs_a_killed_node()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        // The killed node leaves nothing behind: no graceful leave when its system stops.
        var b = nodes.Start("evaluator", "akka.coordinated-shutdown.run-by-actor-system-terminate = off");
        await ClusterNodes.AllUpAsync(a, 2);
        var killed = ClusterNodes.AddressOf(b);
        await b.Terminate();
        await Eventually.HoldsAsync(() => Akka.Cluster.Cluster.Get(a).State.Unreachable.Any(m => m.Address.Equals(killed)), "the killed node unreachable");

        var show = await PbmCli.RunAsync(ClusterNodes.Pbm(a), "cluster", "show");
        Assert.Contains($"{killed} | [evaluator] | up | unreachable | ", show.Output);

        var result = await PbmCli.RunAsync(ClusterNodes.Pbm(a), "cluster", "down", "-a", killed.ToString());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{killed} marked down", result.Output);
        await Eventually.HoldsAsync(() => Akka.Cluster.Cluster.Get(a).State.Members.All(m => !m.Address.Equals(killed)), "the killed node removed");
    }

    [Fact]
    public async Task Cluster_down_unreachable_downs_every_unreachable_node()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        var b = nodes.Start("evaluator", "akka.coordinated-shutdown.run-by-actor-system-terminate = off");
        await ClusterNodes.AllUpAsync(a, 2);
        var killed = ClusterNodes.AddressOf(b);
        await b.Terminate();
        await Eventually.HoldsAsync(() => Akka.Cluster.Cluster.Get(a).State.Unreachable.Any(m => m.Address.Equals(killed)), "the killed node unreachable");

        var result = await PbmCli.RunAsync(ClusterNodes.Pbm(a), "cluster", "down-unreachable");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{killed} marked down", result.Output);
        await Eventually.HoldsAsync(() => Akka.Cluster.Cluster.Get(a).State.Members.Count == 1, "the killed node removed");
    }

    [Fact]
    public async Task Cluster_tail_streams_member_events_until_interrupted()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 1);
        Akka.Actor.ActorSystem? b = null;
        // Once the stream has shown the current members, a second node joins; its joining and up show in the stream.
        var result = await PbmCli.RunAsync([ClusterNodes.Pbm(a), "cluster", "tail"], "", o =>
        {
            if (b is null && o.Contains("member-up")) b = nodes.Start("evaluator");
            return b is not null && o.Contains($"member-up: {ClusterNodes.AddressOf(b)}");
        });
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"member-up: {ClusterNodes.AddressOf(b!)} | [evaluator] | up", result.Output);
    }

    [Fact]
    public async Task Cluster_join_makes_the_node_join_the_given_seed()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 1);
        var loner = Akka.Actor.ActorSystem.Create("nas", ClusterNodes.NodeConfig("evaluator"));
        try
        {
            var host = NasActors.Pbm.Host.CommandHost.Get(loner);
            var result = await PbmCli.RunAsync(ClusterNodes.Pbm(loner), "cluster", "join", "-a", ClusterNodes.AddressOf(a).ToString());
            Assert.True(result.ExitCode == 0, result.ToString());
            await ClusterNodes.AllUpAsync(a, 2);
            await ClusterNodes.AllUpAsync(loner, 2);
        }
        finally { await loner.Terminate(); }
    }
}
