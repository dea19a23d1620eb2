using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Searches;

/// <summary>Commands to the actor of one search (imperatives; each is answered).</summary>
public static class SearchCommands
{
    /// <summary>Starts a search; answered with <see cref="SearchReplies.SearchAccepted"/> or <see cref="SearchReplies.SearchRejected"/>.</summary>
    public sealed record SubmitSearch(string SearchId, SearchSpec Spec) : IWithSearchId, INasMessage;

    public sealed record PauseSearch(string SearchId) : IWithSearchId, INasMessage;

    public sealed record ResumeSearch(string SearchId) : IWithSearchId, INasMessage;

    public sealed record CancelSearch(string SearchId, string Reason) : IWithSearchId, INasMessage;

    /// <summary>Wakes a search after a node start so it recovers and goes on; answered with its status.</summary>
    public sealed record WakeSearch(string SearchId) : IWithSearchId, INasMessage;
}

/// <summary>Queries to the actor of one search (answered, never change state).</summary>
public static class SearchQueries
{
    public sealed record GetSearchStatus(string SearchId) : IWithSearchId, INasMessage;

    public sealed record GetTopK(string SearchId, int K) : IWithSearchId, INasMessage;

    /// <summary>Every resolved evaluation, in the order they were recorded (for exports and plots).</summary>
    public sealed record GetSearchResults(string SearchId) : IWithSearchId, INasMessage;

    /// <summary>Which node hosts the search's actor now (answered with <see cref="SearchReplies.SearchLocation"/>).</summary>
    public sealed record GetSearchLocation(string SearchId) : IWithSearchId, INasMessage;
}

/// <summary>What the search actor answers.</summary>
public static class SearchReplies
{
    public sealed record SearchAccepted(string SearchId) : IWithSearchId, INasMessage;

    public sealed record SearchRejected(string SearchId, string Reason) : IWithSearchId, INasMessage;

    /// <summary>The command was carried out (or had nothing to do: <see cref="Changed"/> false).</summary>
    public sealed record CommandDone(string SearchId, string Command, bool Changed, string Message) : IWithSearchId, INasMessage;

    public sealed record NoSuchSearch(string SearchId) : IWithSearchId, INasMessage
    {
        public override string ToString() => $"no such search: {SearchId}";
    }

    /// <summary>A journal write failed or was rejected: nothing of the command took effect.</summary>
    public sealed record PersistenceFailed(string SearchId, string Reason) : IWithSearchId, INasMessage;

    public sealed record SearchStatus(
        string SearchId, string Name, string Status, string Controller, string Space, int Budget,
        int Evaluated, int Failed, int Pending, int Generations, string? BestArchitecture, double? BestAccuracy,
        long TrainingStep, long TrainingSteps, string? Checkpoint) : IWithSearchId, INasMessage;

    /// <summary>The address (<c>akka.tcp://nas@host:port</c>) of the node that hosts the search's actor.</summary>
    public sealed record SearchLocation(string SearchId, string Node) : IWithSearchId, INasMessage;

    public sealed record TopK(string SearchId, IReadOnlyList<RankedArchitecture> Entries) : IWithSearchId, INasMessage;

    /// <param name="Export">What the search's training method learned about the architecture (its distribution, argmax
    /// first), null for methods that learn none.</param>
    /// <param name="FailureReason">Why the search failed (status failed), e.g. its supernet training crashed or diverged.</param>
    public sealed record SearchResults(string SearchId, string Name, string Space, string Status, int TopKSize,
        IReadOnlyList<RankedArchitecture> Evaluations, Training.ArchitectureExport? Export = null, string? FailureReason = null)
        : IWithSearchId, INasMessage;
}

/// <summary>One evaluated architecture: its text in the space's canonical form and its metrics.</summary>
public sealed record RankedArchitecture(int JobId, int Order, string Architecture, string Text, double Accuracy, double Loss,
    double Flops, double Params, bool Failed, string? FailureReason) : INasMessage;
