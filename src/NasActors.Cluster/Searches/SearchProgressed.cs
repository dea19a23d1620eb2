using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Searches;

/// <summary>Published on the event stream of the node that runs a search, for progress displays.</summary>
public sealed record SearchProgressed(string SearchId, string Kind, string Status, int Evaluated, int Budget, long TrainingStep,
    long TrainingSteps, double? BestAccuracy, string Message) : IWithSearchId, INasMessage;

/// <summary>
/// The <see cref="SearchProgressed.Kind"/>s: what happened. A pause, resume or cancel publishes the status it led to
/// (<see cref="SearchStatusNames"/>) as its kind.
/// </summary>
public static class SearchProgressKinds
{
    public const string Submitted = "submitted";
    /// <summary>A supernet training step was reported.</summary>
    public const string Training = SearchStatusNames.Training;
    /// <summary>The training method's distribution reached the derived controller.</summary>
    public const string Derived = "derived";
    public const string Proposed = "proposed";
    public const string Evaluated = "evaluated";
    public const string EvaluationFailed = "evaluation-failed";
    public const string Offspring = "offspring";
    public const string Generation = "generation";
    public const string Completed = SearchStatusNames.Completed;
    public const string Failed = SearchStatusNames.Failed;
}
