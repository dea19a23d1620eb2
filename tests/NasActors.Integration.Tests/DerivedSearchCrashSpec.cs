using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using NasActors.Cluster.Training;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issue 14, part 7: a DARTS search through real node processes (the trainer node on the torch backend), its trainer
/// node killed with kill -9 mid-training and started again, ends with the same architecture parameters, checkpoint and
/// derived architectures as a run never killed, as both journals record them.
/// </summary>
public sealed class DerivedSearchCrashSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-derived-").FullName;

    private static SearchSpec Spec() => SpecReader.ReadText("""
        search {
          name = derived-crash, space = fmnist-mbconv, dataset = fmnist-embedded, seed = 3, budget = 6
          controller { name = derived, settings { batch = 3 } }
          training {
            method = darts, steps = 120, batch-size = 16, checkpoint-every = 20
            darts { arch-learning-rate = 0.01, arch-warmup-steps = 10 }
          }
          evaluation { kind = torch }
        }
        """);

    private sealed record Run(List<ISearchEvent> Search, List<ITrainingEvent> Trainer);

    [Fact]
    public async Task Kill_minus_9_of_the_trainer_node_mid_search_ends_with_the_architecture_parameters_of_a_run_never_killed()
    {
        var reference = await RunAsync("reference", killAtStep: null);
        var crashed = await RunAsync("crashed", killAtStep: 30);

        // The restarted trainer resumed from a journaled checkpoint: no checkpoint was written twice.
        var steps = crashed.Trainer.OfType<TrainingEvents.CheckpointSaved>().Select(c => c.Checkpoint.Step).ToArray();
        Assert.Equal(steps.Distinct(), steps);
        Assert.Equal(120, steps[^1]);
        // The same final supernet, bitwise (content-addressed), and the same architecture parameters.
        var (a, b) = (Final(reference), Final(crashed));
        Assert.Equal(a.Checkpoint.Sha256, b.Checkpoint.Sha256);
        Assert.Equal(Bits(a.Distribution!), Bits(b.Distribution!));
        Assert.True(a.Distribution!.Entropy < 0.999, $"alpha moved from uniform (entropy {a.Distribution.Entropy})");
        // The populations recorded that distribution and proposed the same derived architectures, argmax first.
        var (ra, rb) = (Assert.Single(reference.Search.OfType<SupernetReady>()), Assert.Single(crashed.Search.OfType<SupernetReady>()));
        Assert.Equal(Bits(a.Distribution), Bits(ra.Distribution!));
        Assert.Equal(Bits(a.Distribution), Bits(rb.Distribution!));
        Assert.Equal(Proposed(reference), Proposed(crashed));
        Assert.Equal(a.Distribution.Argmax, Proposed(crashed)[0]);
        output.WriteLine($"derived: {string.Join(", ", Proposed(crashed))}; argmax p = {a.Distribution.MostProbable![0].Probability:G4}, entropy {a.Distribution.Entropy:F4}");
    }

    private static TrainingEvents.TrainingCompleted Final(Run r) => Assert.IsType<TrainingEvents.TrainingCompleted>(r.Trainer[^1]);

    private static long[] Bits(ArchitectureExport e) => e.Probabilities!.SelectMany(p => p).Select(BitConverter.DoubleToInt64Bits).ToArray();

    private static string[] Proposed(Run r) =>
        r.Search.OfType<CandidatesProposed>().SelectMany(p => p.Jobs).OrderBy(j => j.JobId).Select(j => j.Architecture).ToArray();

    private async Task<Run> RunAsync(string name, int? killAtStep)
    {
        var root = Directory.CreateDirectory(Path.Combine(_root, name)).FullName;
        using var cluster = new TestCluster(output, root);
        var (c, t, e) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, [NasRoles.Controller], evaluators: 0);
        // Only the trainer node trains with tensors; the evaluator node scores torch-kind jobs with stub scores.
        var trainer = cluster.Start("trainer", t, [NasRoles.Trainer], evaluators: 0, sets: "nas.backend = torch");
        cluster.Start("evaluator", e, [NasRoles.Evaluator]);
        var spec = Spec();
        await cluster.SubmitAsync(controller, name, spec);
        if (killAtStep is { } kill)
        {
            var at = await cluster.WaitForStatusAsync(controller, name, s => s.TrainingStep >= kill);
            trainer.KillHard();
            output.WriteLine($"killed the trainer node at step {at.TrainingStep} ({at.Status})");
            Assert.Equal(SearchStatusNames.Training, at.Status);
            cluster.Start("trainer", t, [NasRoles.Trainer], evaluators: 0, sets: "nas.backend = torch");
        }
        var done = await cluster.WaitForStatusAsync(controller, name, s => s.Status == SearchStatusNames.Completed, TimeSpan.FromMinutes(8));
        Assert.Equal(spec.Budget, done.Evaluated);
        var search = await cluster.ReadJournalAsync(name, "controller");
        TestCluster.AssertNothingLostOrTwice(search, spec.Budget);
        return new Run(search, await TrainerJournalAsync(Path.Combine(root, "trainer"), name));
    }

    /// <summary>The trainer's events, from the SQLite journal of the trainer node's folder.</summary>
    internal static async Task<List<ITrainingEvent>> TrainerJournalAsync(string folder, string searchId)
    {
        var persistence = SqlitePersistence.Config(Path.Combine(folder, "data", "journal.db"), Path.Combine(folder, "data", "snapshots.db"));
        using var system = ActorSystem.Create("trainer-journal-reader", ConfigurationFactory.ParseString(NasSerializer.Hocon + "\nakka.loglevel = ERROR").WithFallback(persistence));
        try
        {
            var journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>("akka.persistence.query.journal.sql");
            return await journal.CurrentEventsByPersistenceId("trainer-" + searchId, 0, long.MaxValue)
                .RunAggregate(new List<ITrainingEvent>(), (l, e) => { l.Add((ITrainingEvent)e.Event); return l; }, system.Materializer());
        }
        finally { await system.Terminate(); }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
