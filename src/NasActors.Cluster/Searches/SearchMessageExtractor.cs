using Akka.Cluster.Sharding;
using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Searches;

/// <summary>Routes search messages by search id; shard ids from a stable hash (MurmurHash), never string.GetHashCode.</summary>
public sealed class SearchMessageExtractor() : HashCodeMessageExtractor(ShardCount)
{
    public const int ShardCount = 50;

    public override string? EntityId(object message) => message switch
    {
        IWithSearchId m => m.SearchId,
        _ => null,
    };
}
