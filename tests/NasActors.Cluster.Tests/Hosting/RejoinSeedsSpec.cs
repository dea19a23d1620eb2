using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Tests.Hosting;

/// <summary>How a downed node rejoins without forming a second cluster (issue 20).</summary>
public sealed class RejoinSeedsSpec
{
    private static readonly string[] Seeds = ["akka.tcp://nas@10.0.0.1:4053", "akka.tcp://nas@10.0.0.2:4053", "akka.tcp://nas@10.0.0.3:4053"];

    [Fact]
    public void A_downed_first_seed_node_rejoins_through_the_other_seed_nodes_only() =>
        Assert.Equal(Seeds[1..], RejoinSeeds.AfterDowning(Seeds, Address.Parse(Seeds[0])));

    [Fact]
    public void Another_node_and_a_lone_seed_node_keep_their_seed_list()
    {
        Assert.Equal(Seeds, RejoinSeeds.AfterDowning(Seeds, Address.Parse(Seeds[1])));
        Assert.Equal(Seeds[..1], RejoinSeeds.AfterDowning(Seeds[..1], Address.Parse(Seeds[0])));
    }

    [Fact]
    public async Task A_majority_of_seed_nodes_reachable_lets_the_first_seed_node_form_the_cluster_again_and_a_minority_does_not()
    {
        var listeners = Enumerable.Range(0, 2).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        foreach (var l in listeners) l.Start();
        try
        {
            string At(int port) => $"akka.tcp://nas@127.0.0.1:{port}";
            var closed = Enumerable.Range(0, 3).Select(_ => At(NasActors.Cluster.Local.NasProcess.FreePort())).ToArray(); // nothing listens there
            var self = Address.Parse(At(NasActors.Cluster.Local.NasProcess.FreePort()));
            var open = listeners.Select(l => At(((IPEndPoint)l.LocalEndpoint).Port)).ToArray();
            // Itself and two of four others reachable: 3 of 5.
            Assert.True(await RejoinSeeds.MajorityReachableAsync([self.ToString(), .. open, closed[0], closed[1]], self, TimeSpan.FromSeconds(2)));
            // Itself and one of four others: 2 of 5 (the minority side of a partition).
            Assert.False(await RejoinSeeds.MajorityReachableAsync([self.ToString(), open[0], .. closed], self, TimeSpan.FromSeconds(2)));
        }
        finally
        {
            foreach (var l in listeners) l.Stop();
        }
    }
}
