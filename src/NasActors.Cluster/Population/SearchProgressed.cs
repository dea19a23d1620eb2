using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Population;

/// <summary>Published on the event stream of the node that runs a search, for progress displays.</summary>
public sealed record SearchProgressed(string SearchId, string Kind, string Status, int Evaluated, int Budget, long TrainingStep,
    long TrainingSteps, double? BestAccuracy, string Message) : IWithSearchId, INasMessage;
