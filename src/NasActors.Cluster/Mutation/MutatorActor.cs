using Akka.Actor;
using NasActors.Cluster.Specs;
using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Evolution;
using static NasActors.Cluster.Mutation.MutationProtocol;

namespace NasActors.Cluster.Mutation;

/// <summary>
/// Produces children for evolutionary searches (<see cref="EvolutionOffspring.Produce"/>): per-decision mutation of
/// random parents, then uniform crossover of two distinct parents, each child feasible under the spec's constraints
/// and new. Every draw comes from the search seed and the generation, so a retried request gives the same children,
/// on any mutator of the pool, and the same children the search's controller would produce itself.
/// </summary>
public sealed class MutatorActor : ReceiveActor
{
    // The search set-up of the latest spec per search (a table space reads its file once, not per generation).
    private readonly Dictionary<string, (string Spec, SearchContext Context)> _contexts = new();

    public static Props Props() => Akka.Actor.Props.Create(() => new MutatorActor());

    public MutatorActor()
    {
        Receive<ProduceChildren>(r =>
        {
            try { Sender.Tell(new ChildrenProduced(r.SearchId, r.Generation, Produce(r, ContextOf(r)))); }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException) { Sender.Tell(new Status.Failure(e)); }
        });
    }

    private SearchContext ContextOf(ProduceChildren r)
    {
        var key = System.Text.Json.JsonSerializer.Serialize(r.Spec, Serialization.NasSerializer.Options);
        if (_contexts.TryGetValue(r.SearchId, out var known) && known.Spec == key) return known.Context;
        if (_contexts.Count >= 64) _contexts.Clear();
        var context = ContextFor(r.Spec);
        _contexts[r.SearchId] = (key, context);
        return context;
    }

    /// <summary>The search's context (space, seed, budget, constraints) as its controller has it.</summary>
    public static SearchContext ContextFor(SearchSpec spec) => SearchSetup.Build(spec).Context;

    /// <summary>The pure function behind the actor.</summary>
    public static IReadOnlyList<string> Produce(ProduceChildren r, SearchContext? context = null) =>
        EvolutionOffspring.Produce(r.ToRequest(), context ?? ContextFor(r.Spec)).Select(c => c.ToString()).ToArray();
}
