using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Searches;

/// <summary>Queries for operators (pbm's nas palette), kept apart from the search's own protocol.</summary>
public static class SearchInspection
{
    /// <summary>Answered with <see cref="SupernetState"/> or <see cref="SearchReplies.NoSuchSearch"/>.</summary>
    public sealed record GetSupernetState(string SearchId) : IWithSearchId, INasMessage;

    /// <summary>Where the supernet training of a search is (Steps 0: the search trains none), and the node running it.
    /// <see cref="Distribution"/>: for a method with architecture parameters, what it had learned at its latest checkpoint
    /// (at step <see cref="DistributionStep"/>): the final one once journaled (SupernetReady), else the last CheckpointSaved
    /// this search actor received; null before the first checkpoint and for the other methods.</summary>
    public sealed record SupernetState(string SearchId, string Node, string Status, long Step, long Steps, double? Loss,
        double? Accuracy, string? Checkpoint, bool Ready, Training.ArchitectureExport? Distribution = null, long? DistributionStep = null)
        : IWithSearchId, INasMessage
    {
        /// <summary>The trainer in one word, for operators: done, paused or training.</summary>
        public string TrainerState() => Ready ? "done" : Status == SearchStatusNames.Paused ? SearchStatusNames.Paused : SearchStatusNames.Training;
    }
}
