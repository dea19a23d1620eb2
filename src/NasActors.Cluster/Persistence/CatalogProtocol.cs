using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Persistence;

/// <summary>Queries answered from the journal projection (no search actor is woken).</summary>
public static class CatalogProtocol
{
    public sealed record ListSearches : INasMessage
    {
        public static ListSearches Instance { get; } = new();
    }

    public sealed record SearchList(IReadOnlyList<SearchSummary> Searches) : INasMessage;

    /// <summary>Answered with a <see cref="SearchSummary"/> or <see cref="Population.SearchReplies.NoSuchSearch"/>.</summary>
    public sealed record GetSummary(string SearchId) : INasMessage;
}
