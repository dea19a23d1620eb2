using Akka.Actor;
using NasActors.Cluster.Specs;
using NasActors.Core.Controllers;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using static NasActors.Cluster.Mutation.MutationProtocol;

namespace NasActors.Cluster.Mutation;

/// <summary>
/// Produces children for evolutionary searches: per-decision mutation of random parents, then uniform crossover of
/// two distinct parents, each child feasible under the spec's constraints and new (not excluded, not produced twice).
/// Every draw comes from the search seed and the generation, so a retried request gives the same children, on any
/// mutator of the pool.
/// </summary>
public sealed class MutatorActor : ReceiveActor
{
    public static Props Props() => Akka.Actor.Props.Create(() => new MutatorActor());

    public MutatorActor()
    {
        Receive<ProduceChildren>(r =>
        {
            try { Sender.Tell(new ChildrenProduced(r.SearchId, r.Generation, Produce(r))); }
            catch (Exception e) when (e is ArgumentException or FormatException) { Sender.Tell(new Status.Failure(e)); }
        });
    }

    /// <summary>The pure function behind the actor.</summary>
    public static IReadOnlyList<string> Produce(ProduceChildren r)
    {
        var setup = SearchSetup.Build(r.Spec);
        var space = setup.Space;
        var parents = r.Parents.Select(p => space.Validate(Architecture.ParseChoiceString(p))).ToArray();
        if (parents.Length == 0) return [];
        var taken = new HashSet<Architecture>(r.Exclude.Select(Architecture.ParseChoiceString));
        var children = new List<Architecture>();
        bool TryAdd(Architecture a)
        {
            if (!setup.Constraints.IsSatisfied(a) || !taken.Add(a)) return false;
            children.Add(a);
            return true;
        }

        EvolutionChildren.Produce(parents, space, r.MutationProbability, r.MutationChildren, r.CrossoverChildren, r.MaxTries,
            int.MaxValue, DeterministicRandom.For(r.Spec.Seed, "mutator/mutation", r.Generation),
            DeterministicRandom.For(r.Spec.Seed, "mutator/crossover", r.Generation), TryAdd);
        return children.Select(c => c.ToString()).ToArray();
    }
}
