using Akka.Actor;
using NasActors.Cluster.Specs;
using NasActors.Core.Controllers;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using static NasActors.Cluster.Mutation.MutationProtocol;
using CoreMutation = NasActors.Core.Controllers.Mutation;

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

        var mut = DeterministicRandom.For(r.Spec.Seed, "mutator/mutation", r.Generation);
        var made = 0;
        for (var tries = 0; made < r.MutationChildren && tries < r.MaxTries; tries++)
            if (TryAdd(CoreMutation.PerDecision(parents[mut.NextInt(parents.Length)], space, r.MutationProbability, mut))) made++;

        var cross = DeterministicRandom.For(r.Spec.Seed, "mutator/crossover", r.Generation);
        made = 0;
        for (var tries = 0; parents.Length > 1 && made < r.CrossoverChildren && tries < r.MaxTries; tries++)
        {
            var i = cross.NextInt(parents.Length);
            var j = CoreMutation.OtherChoice(i, parents.Length, cross);
            if (TryAdd(Crossover.Uniform(parents[i], parents[j], cross))) made++;
        }
        return children.Select(c => c.ToString()).ToArray();
    }
}
