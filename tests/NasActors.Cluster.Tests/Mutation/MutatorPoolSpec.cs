using Akka.Actor;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Searches;
using Xunit.Abstractions;
using static NasActors.Cluster.Mutation.MutationProtocol;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Mutation;

/// <summary>Populations get the children of their evolutionary generations from the mutator pool.</summary>
public sealed class MutatorPoolSpec(ITestOutputHelper output) : SqliteActorSpec(output)
{
    /// <summary>Stands in front of the pool: counts requests and drops the first <c>drop</c> of them (a lost answer).</summary>
    private sealed class Gate : ReceiveActor
    {
        public sealed record GetRequests;

        public Gate(IActorRef pool, int drop)
        {
            var requests = new List<ProduceChildren>();
            Receive<ProduceChildren>(r =>
            {
                requests.Add(r);
                if (requests.Count > drop) pool.Forward(r);
            });
            Receive<GetRequests>(_ => Sender.Tell(requests.ToArray()));
        }
    }

    private IActorRef NewGate(int drop = 0) => Sys.ActorOf(Akka.Actor.Props.Create(() =>
        new Gate(Sys.ActorOf(MutatorActor.Props().WithRouter(new Akka.Routing.RoundRobinPool(2))), drop)));

    private Task<List<ISearchEvent>> Events(string id) => JournalEvents(id);

    [Fact]
    public async Task An_evolution_search_gets_its_children_from_the_mutator_pool_and_ends_as_it_does_without_it()
    {
        var gate = NewGate();
        var (withPool, _) = StartSearchActors(evaluators: 3, prefix: "pool-", mutators: gate);
        var (alone, _) = StartSearchActors(evaluators: 3, prefix: "alone-", mutators: ActorRefs.Nobody);
        await withPool.Ask<SearchAccepted>(new SubmitSearch("with-pool", TestSpecs.Synthetic(40)));
        await alone.Ask<SearchAccepted>(new SubmitSearch("alone", TestSpecs.Synthetic(40)));
        await AwaitStatusAsync(withPool, "with-pool", SearchStatusNames.Completed);
        await AwaitStatusAsync(alone, "alone", SearchStatusNames.Completed);

        // Generations 1-4 asked the pool once each (generation 0 is random); the answers are in the journal.
        var requests = await gate.Ask<ProduceChildren[]>(new Gate.GetRequests());
        Assert.Equal([1, 2, 3, 4], requests.Select(r => r.Generation));
        var events = await Events("with-pool");
        var offspring = events.OfType<SearchEvents.OffspringProduced>().ToArray();
        Assert.Equal([1, 2, 3, 4], offspring.Select(o => o.Generation));
        Assert.Empty((await Events("alone")).OfType<SearchEvents.OffspringProduced>());
        // Every request carried all proposals so far as exclusions; its children lead the generation's proposal.
        foreach (var (request, children) in requests.Zip(offspring))
        {
            Assert.Equal(request.Generation * 8, request.Exclude.Count);
            var proposal = events.OfType<SearchEvents.CandidatesProposed>().Single(p => p.Generation == children.Generation);
            Assert.Equal(children.Children, proposal.Jobs.Take(children.Children.Count).Select(j => j.Architecture));
        }
        // The same search: same proposals, same results, same top-k.
        var a = await withPool.Ask<SearchResults>(new GetSearchResults("with-pool"));
        var b = await alone.Ask<SearchResults>(new GetSearchResults("alone"));
        Assert.Equal(b.Evaluations.Select(h => (h.JobId, h.Architecture, h.Accuracy)).OrderBy(h => h.JobId),
            a.Evaluations.Select(h => (h.JobId, h.Architecture, h.Accuracy)).OrderBy(h => h.JobId));
        Assert.Equal((await alone.Ask<TopK>(new GetTopK("alone", 5))).Entries.Select(e => e.Architecture),
            (await withPool.Ask<TopK>(new GetTopK("with-pool", 5))).Entries.Select(e => e.Architecture));
    }

    [Fact]
    public async Task A_lost_answer_of_the_pool_is_asked_again_and_the_search_completes()
    {
        var gate = NewGate(drop: 1);
        var (searches, _) = StartSearchActors(evaluators: 2, mutators: gate, resendEvery: TimeSpan.FromMilliseconds(300));
        await searches.Ask<SearchAccepted>(new SubmitSearch("lost", TestSpecs.Synthetic(16)));
        var done = await AwaitStatusAsync(searches, "lost", SearchStatusNames.Completed);
        Assert.Equal(16, done.Evaluated);
        var requests = await gate.Ask<ProduceChildren[]>(new Gate.GetRequests());
        // Generation 1 was asked twice (the first request was dropped), with the same request.
        Assert.True(requests.Length >= 2);
        Assert.Equal(1, requests[0].Generation);
        Assert.Equal(1, requests[1].Generation);
        Assert.Equal(requests[0].Exclude, requests[1].Exclude);
        Assert.Single((await Events("lost")).OfType<SearchEvents.OffspringProduced>());
    }

    [Fact]
    public async Task Children_the_population_did_not_ask_for_persist_nothing()
    {
        var (searches, _) = StartSearchActors(evaluators: 0, mutators: NewGate(drop: int.MaxValue));
        await searches.Ask<SearchAccepted>(new SubmitSearch("stray", TestSpecs.Synthetic(16)));
        var before = (await Events("stray")).Count;
        // Generation 0 is random and nobody evaluates it: no generation waits for children.
        searches.Tell(new ChildrenProduced("stray", 1, ["012345"]));
        searches.Tell(new ChildrenProduced("stray", 0, ["012345"]));
        Assert.Equal(SearchStatusNames.Running, (await searches.Ask<SearchStatus>(new GetSearchStatus("stray"))).Status);
        Assert.Equal(before, (await Events("stray")).Count);
    }
}
