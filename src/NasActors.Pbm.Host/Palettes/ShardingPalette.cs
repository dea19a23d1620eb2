using Akka.Actor;
using Akka.Cluster.Sharding;
using NasActors.Pbm.Protocol;
using static NasActors.Pbm.Host.Palettes.PaletteSupport;

namespace NasActors.Pbm.Host.Palettes;

/// <summary>The <c>cluster-sharding</c> palette: works on any shard region (or proxy) started on this node.</summary>
public static class ShardingPalette
{
    private static readonly ArgumentDefinition Region = CommandPalette.Switch("region", "r", "the shard region's type name (see regions)", mandatory: true);

    public static CommandPalette Create() => new CommandPalette("cluster-sharding", "shard regions, their shards and entities")
        .Command("regions", "the shard regions (type names) started on this node", Regions)
        .Command("region-stats", "per member: shards and entities of the region, and where its coordinator runs", RegionStats, Region)
        .Command("shard-stats", "per member and shard: the number of entities", ShardStats, Region);

    private static async Task Regions(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var names = ClusterSharding.Get(r.System).ShardTypeNames.Order(StringComparer.Ordinal).ToArray();
        foreach (var n in names) await output.WriteLineAsync(n);
        await output.WriteLineAsync($"Count: {names.Length} regions");
    }

    private static async Task RegionStats(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var type = r.Required("region");
        var stats = await ClusterStatsAsync(r, type, cancel);
        var cluster = Akka.Cluster.Cluster.Get(r.System);
        foreach (var (address, region) in stats.Regions.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal))
        {
            var member = cluster.State.Members.FirstOrDefault(m => m.Address.Equals(address));
            var line = member is null ? address.ToString() : MemberLine(member, cluster.State.Unreachable.Contains(member));
            if (await HostsCoordinatorAsync(r.System, address, type, cancel)) line += $" [coordinator]({type})";
            await output.WriteLineAsync($"{line} | shards: {region.Stats.Count} | entities: {region.Stats.Values.Sum()}");
        }
    }

    private static async Task ShardStats(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var type = r.Required("region");
        var stats = await ClusterStatsAsync(r, type, cancel);
        var shards = 0;
        foreach (var (address, region) in stats.Regions.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal))
            foreach (var (shard, entities) in region.Stats.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                shards++;
                await output.WriteLineAsync($"{address} | shard: {shard} | entities: {entities}");
            }
        await output.WriteLineAsync($"Count: {shards} shards");
    }

    private static async Task<ClusterShardingStats> ClusterStatsAsync(CommandRequest r, string type, CancellationToken cancel)
    {
        var sharding = ClusterSharding.Get(r.System);
        if (!sharding.ShardTypeNames.Contains(type))
            throw new CommandFailedException($"no shard region '{type}' on this node (known: {string.Join(", ", sharding.ShardTypeNames.Order(StringComparer.Ordinal))})");
        var region = sharding.ShardRegion(type);
        var timeout = TimeSpan.FromSeconds(5);
        return await AskAsync(region, new GetClusterShardingStats(timeout), $"shard region {type}", cancel, timeout + TimeSpan.FromSeconds(2)) switch
        {
            ClusterShardingStats s => s,
            var other => throw new CommandFailedException($"unexpected answer from shard region {type}: {other}"),
        };
    }

    /// <summary>The coordinator is a cluster singleton: ask the node whether it runs it (no answer within 2 s: no).</summary>
    private static async Task<bool> HostsCoordinatorAsync(ActorSystem system, Address address, string type, CancellationToken cancel)
    {
        var path = $"{address}/system/sharding/{Uri.EscapeDataString(type)}Coordinator/singleton/coordinator";
        try
        {
            var id = await system.ActorSelection(path).Ask<ActorIdentity>(new Identify(path), TimeSpan.FromSeconds(2), cancel);
            return id.Subject is not null;
        }
        catch (AskTimeoutException) { return false; }
    }
}
