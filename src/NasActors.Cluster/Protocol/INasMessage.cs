namespace NasActors.Cluster.Protocol;

/// <summary>
/// Marker of every message that is persisted or crosses nodes: <see cref="Serialization.NasSerializer"/> is bound to
/// it, so none of them falls back to Akka's default serializer. Each type needs a round-trip test.
/// </summary>
public interface INasMessage;

/// <summary>A message addressed to one search; sharding routes it by <see cref="SearchId"/>.</summary>
public interface IWithSearchId
{
    string SearchId { get; }
}
