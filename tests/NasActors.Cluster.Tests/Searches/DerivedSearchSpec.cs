using Akka.Actor;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Training;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Searches;

/// <summary>A derived search through the actors: the stub trainer's distribution, journaled, handed to the controller.</summary>
public sealed class DerivedSearchSpec(ITestOutputHelper output) : SqliteActorSpec(output)
{
    [Fact]
    public async Task A_derived_search_evaluates_the_argmax_then_the_next_most_probable_of_the_journaled_distribution()
    {
        var (searches, _) = StartSearchActors(evaluators: 2);
        var spec = TestSpecs.Derived("fbnet", budget: 6, steps: 6);
        await searches.Ask<SearchAccepted>(new SubmitSearch("d", spec));
        var done = await AwaitStatusAsync(searches, "d", SearchStatusNames.Completed);
        Assert.Equal(6, done.Evaluated);

        // The trainer journaled a distribution with every checkpoint, the final one again with its completion.
        var trainer = await JournalEvents<ITrainingEvent>("trainer-d");
        var saved = trainer.OfType<TrainingEvents.CheckpointSaved>().ToArray();
        Assert.Equal([2L, 4, 6], saved.Select(c => c.Checkpoint.Step));
        Assert.All(saved, c => Assert.NotNull(c.Distribution));
        Assert.True(saved[0].Distribution!.Entropy > saved[^1].Distribution!.Entropy, "the stub's distribution sharpens with the steps");
        var completed = Assert.IsType<TrainingEvents.TrainingCompleted>(trainer[^1]);
        Assert.Equal(Json(saved[^1].Distribution!), Json(completed.Distribution!));

        // The population recorded it with the final supernet and proposed from it, argmax first.
        var events = await JournalEvents("d");
        var ready = Assert.Single(events.OfType<SearchEvents.SupernetReady>());
        Assert.Equal(Json(completed.Distribution!), Json(ready.Distribution!));
        var proposed = events.OfType<SearchEvents.CandidatesProposed>().SelectMany(p => p.Jobs).OrderBy(j => j.JobId).Select(j => j.Architecture);
        Assert.Equal(ready.Distribution!.ToDistribution()!.MostProbable(6).Select(p => p.Architecture.ToString()), proposed);
        Assert.Equal(ready.Distribution.Argmax, proposed.First());
        Assert.Equal(StubTrainingBackend.Distribution(new TrainingRequest("d", spec, Folder, null), 6)!.Argmax, ready.Distribution.Argmax);
    }

    [Fact]
    public async Task A_derived_search_replays_from_its_journal_to_the_same_results_and_distribution()
    {
        var (searches, _) = StartSearchActors(evaluators: 2, snapshotEvery: 3);
        await searches.Ask<SearchAccepted>(new SubmitSearch("r", TestSpecs.Derived("darts", budget: 10, steps: 4)));
        var done = await AwaitStatusAsync(searches, "r", SearchStatusNames.Completed);
        // Its events alone rebuild the state the population answers from.
        var results = await searches.Ask<SearchResults>(new SearchQueries.GetSearchResults("r"));
        var state = SearchState.Empty("r");
        foreach (var e in await JournalEvents("r")) state.Apply(e);
        Assert.Equal(results.Evaluations.Select(e => e.Architecture), state.History().Select(e => e.Architecture));
        Assert.Equal(done.Evaluated, state.Evaluated);
        Assert.NotNull(state.Distribution);
    }

    private static string Json(ArchitectureExport e) => System.Text.Json.JsonSerializer.Serialize(e, NasSerializer.Options);
}
