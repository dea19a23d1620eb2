using Akka.Actor;
using Akka.Cluster.Sharding;
using NasActors.Pbm.Tests.Support;

namespace NasActors.Pbm.Tests;

/// <summary>The cluster-sharding palette against a shard region the test starts on two nodes.</summary>
public sealed class ShardingPaletteSpec
{
    private const string Region = "probe";

    private sealed class Entity : ReceiveActor
    {
        public Entity() => ReceiveAny(m => Sender.Tell(m));
    }

    private sealed record Envelope(string Id, string Payload);

    private sealed class Extractor() : HashCodeMessageExtractor(10)
    {
        public override string EntityId(object message) => ((Envelope)message).Id;
        public override object EntityMessage(object message) => ((Envelope)message).Payload;
    }

    private static Task<IActorRef> StartRegionAsync(ActorSystem system) =>
        ClusterSharding.Get(system).StartAsync(Region, Props.Create(() => new Entity()), ClusterShardingSettings.Create(system), new Extractor());

    [Fact]
    public async Task Region_stats_shows_the_entities_of_every_member()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        var b = nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 2);
        var region = await StartRegionAsync(a);
        await StartRegionAsync(b);
        var ids = Enumerable.Range(0, 12).Select(i => $"entity-{i}").ToArray();
        foreach (var id in ids) Assert.Equal("hi", await region.Ask<string>(new Envelope(id, "hi"), TimeSpan.FromSeconds(20)));

        var regions = await PbmCli.RunAsync(ClusterNodes.Pbm(b), "cluster-sharding", "regions");
        Assert.Contains(Region, regions.Lines);

        var stats = await PbmCli.RunAsync(ClusterNodes.Pbm(b), "cluster-sharding", "region-stats", "-r", Region);

        Assert.True(stats.ExitCode == 0, stats.ToString());
        var lines = stats.Lines.Where(l => l.Contains("| entities:")).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l.StartsWith($"{ClusterNodes.AddressOf(a)} | [controller] | up", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"{ClusterNodes.AddressOf(b)} | [controller] | up", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains($" [coordinator]({Region}) | shards: "));
        Assert.Equal(ids.Length, lines.Sum(l => int.Parse(l[(l.LastIndexOf(' ') + 1)..])));

        var shards = await PbmCli.RunAsync(ClusterNodes.Pbm(a), "cluster-sharding", "shard-stats", "-r", Region);
        Assert.True(shards.ExitCode == 0, shards.ToString());
        Assert.Equal(ids.Length, shards.Lines.Where(l => l.Contains("| shard: ")).Sum(l => int.Parse(l[(l.LastIndexOf(' ') + 1)..])));

        var unknown = await PbmCli.RunAsync(ClusterNodes.Pbm(a), "cluster-sharding", "region-stats", "-r", "nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no shard region 'nope'", unknown.Error);
    }
}
