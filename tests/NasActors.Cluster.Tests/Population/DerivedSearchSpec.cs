using Akka.Actor;
using NasActors.Cluster.Population;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using NasActors.Cluster.Training;
using Xunit.Abstractions;
using static NasActors.Cluster.Population.SearchCommands;
using static NasActors.Cluster.Population.SearchReplies;

namespace NasActors.Cluster.Tests.Population;

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

    /// <summary>
    /// Issue 15: ENAS (its policy's samples) and Single-Path NAS (its thresholds' architecture) trained by the torch
    /// backend through the trainer actor; the derived architectures are journaled with every checkpoint and the
    /// completion, recorded by the population with the final supernet, and proposed in the method's order.
    /// </summary>
    [Theory]
    [InlineData("enas", "enas { weight-steps = 2, controller-steps = 2, samples = 4, hidden-units = 16 }", 4)]
    [InlineData("spnas", "spnas { arch-warmup-steps = 2 }", 1)]
    public async Task A_method_s_derived_architectures_are_journaled_and_evaluated_in_its_order(string method, string block, int exported)
    {
        var (searches, _) = StartSearchActors(evaluators: 2, trainer: new TorchTrainingBackend());
        var spec = SpecReader.ReadText(TestSpecs.DerivedHocon(method, budget: 8, steps: 4, methodBlock: block).Replace("training {", "training { batch-size = 8,"));
        await searches.Ask<SearchAccepted>(new SubmitSearch("x", spec));
        SearchStatus? done = null;
        await AwaitAssertAsync(async () =>
        {
            done = await searches.Ask<SearchStatus>(new SearchQueries.GetSearchStatus("x"), TimeSpan.FromSeconds(5));
            Assert.True(SearchStatusNames.IsFinal(done.Status));
        }, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
        var failed = (await JournalEvents("x")).OfType<SearchEvents.SearchFailed>().FirstOrDefault();
        Assert.True(failed is null, failed?.Reason);
        Assert.Equal(SearchStatusNames.Completed, done!.Status);

        var trainer = await JournalEvents<ITrainingEvent>("trainer-x");
        var saved = trainer.OfType<TrainingEvents.CheckpointSaved>().ToArray();
        Assert.Equal([2L, 4], saved.Select(c => c.Checkpoint.Step));
        Assert.All(saved, c => Assert.Null(c.Distribution!.Probabilities)); // a derived list, no distribution
        var completed = Assert.IsType<TrainingEvents.TrainingCompleted>(trainer[^1]);
        var derived = completed.Distribution!.Derived!;
        Assert.InRange(derived.Count, 1, exported);
        Assert.Equal(derived.Count, derived.Distinct().Count());
        Assert.Equal(Json(saved[^1].Distribution!), Json(completed.Distribution!));
        // The checkpoint's own metadata lists the same architectures (written by the trainer from the method).
        using (var checkpoint = NasActors.Torch.Checkpoints.Checkpoint.Load(completed.Checkpoint.Path))
        {
            var space = NasActors.Core.Spaces.Blocks.BlockSpaces.Get(spec.Space);
            Assert.Equal(derived.Select(d => space.Format(NasActors.Core.Spaces.Architecture.ParseChoiceString(d))),
                System.Text.Json.JsonSerializer.Deserialize<string[]>(checkpoint.Require("derived-architectures")));
        }

        var events = await JournalEvents("x");
        var ready = Assert.Single(events.OfType<SearchEvents.SupernetReady>());
        Assert.Equal(Json(completed.Distribution!), Json(ready.Distribution!));
        var proposed = events.OfType<SearchEvents.CandidatesProposed>().SelectMany(p => p.Jobs).OrderBy(j => j.JobId).Select(j => j.Architecture);
        Assert.Equal(derived, proposed);
        Assert.Equal(derived.Count, done.Evaluated);
    }

    private static string Json(ArchitectureExport e) => System.Text.Json.JsonSerializer.Serialize(e, NasSerializer.Options);
}
