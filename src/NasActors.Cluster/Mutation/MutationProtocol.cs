using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;

namespace NasActors.Cluster.Mutation;

public static class MutationProtocol
{
    /// <summary>
    /// Children of <see cref="Parents"/> for generation <see cref="Generation"/>: mutation and crossover under the
    /// spec's constraints, none in <see cref="Exclude"/>. The answer is a pure function of the request.
    /// </summary>
    public sealed record ProduceChildren(string SearchId, SearchSpec Spec, int Generation, IReadOnlyList<string> Parents,
        IReadOnlyList<string> Exclude, int MutationChildren, int CrossoverChildren, double MutationProbability, int MaxTries)
        : IWithSearchId, INasMessage;

    public sealed record ChildrenProduced(string SearchId, int Generation, IReadOnlyList<string> Children) : IWithSearchId, INasMessage;
}
