using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Population;

/// <summary>Queries for operators (pbm's nas palette), kept apart from the search's own protocol.</summary>
public static class SearchInspection
{
    /// <summary>Answered with <see cref="TrainingProgress"/> or <see cref="SearchReplies.NoSuchSearch"/>.</summary>
    public sealed record GetTrainingProgress(string SearchId) : IWithSearchId, INasMessage;

    /// <summary>Where the supernet training of a search is (Steps 0: the search trains none), and the node running it.</summary>
    public sealed record TrainingProgress(string SearchId, string Node, string Status, long Step, long Steps, double? Loss,
        double? Accuracy, string? Checkpoint, bool Ready) : IWithSearchId, INasMessage;
}
