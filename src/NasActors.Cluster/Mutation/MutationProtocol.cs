using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;
using NasActors.Core.Controllers.Evolution;
using NasActors.Core.Spaces;

namespace NasActors.Cluster.Mutation;

public static class MutationProtocol
{
    /// <summary>
    /// Children of <see cref="Parents"/> for generation <see cref="Generation"/>: mutation and crossover under the
    /// spec's constraints, none in <see cref="Exclude"/>, at most <see cref="Limit"/>. The answer is a pure function
    /// of the request (<see cref="EvolutionOffspring.Produce"/>).
    /// </summary>
    public sealed record ProduceChildren(string SearchId, SearchSpec Spec, int Generation, IReadOnlyList<string> Parents,
        IReadOnlyList<string> Exclude, int MutationChildren, int CrossoverChildren, double MutationProbability, int MaxTries, int Limit)
        : IWithSearchId, INasMessage
    {
        public static ProduceChildren From(string searchId, SearchSpec spec, OffspringRequest r) => new(searchId, spec, r.Batch,
            r.Parents.Select(a => a.ToString()).ToArray(), r.Exclude.Select(a => a.ToString()).ToArray(),
            r.MutationChildren, r.CrossoverChildren, r.MutationProbability, r.MaxTries, r.Limit);

        public OffspringRequest ToRequest() => new(Generation, Parents.Select(Architecture.ParseChoiceString).ToArray(),
            Exclude.Select(Architecture.ParseChoiceString).ToArray(), MutationChildren, CrossoverChildren, MutationProbability, MaxTries, Limit);
    }

    public sealed record ChildrenProduced(string SearchId, int Generation, IReadOnlyList<string> Children) : IWithSearchId, INasMessage;
}
