using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Cluster.Training;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issue 15, item 5: ENAS (its policy's samples) and Single-Path NAS (its thresholds' architecture) trained by a node
/// on the torch backend: the derived architectures are journaled with every checkpoint and the completion, recorded by
/// the population with the final supernet, and proposed by the derived controller in the method's order.
/// </summary>
public sealed class DerivedExportSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-derived-export-").FullName;

    private static SearchSpec Spec(string method, string block) => SpecReader.ReadText($$"""
        search {
          name = derived-{{method}}, space = fmnist-mbconv, dataset = fmnist-embedded, seed = 3, budget = 8
          controller { name = derived, settings { batch = 8 } }
          training {
            method = {{method}}, steps = 4, batch-size = 8, checkpoint-every = 2
            {{(method == "spnas" ? $"spnas {{ latency-table = \"{Path.Combine(NodeProcess.RepoRoot, "docs", "latency-fmnist-mbconv-cpu.json")}\" }}" : "")}}
            {{block}}
          }
          evaluation { kind = torch }
        }
        """);

    [Theory]
    [InlineData("enas", "enas { weight-steps = 2, controller-steps = 2, samples = 4, hidden-units = 16 }", 4)]
    [InlineData("spnas", "spnas { arch-warmup-steps = 2 }", 1)]
    public async Task A_method_s_derived_architectures_are_journaled_and_evaluated_in_its_order(string method, string block, int samples)
    {
        var root = Directory.CreateDirectory(Path.Combine(_root, method)).FullName;
        using var cluster = new TestCluster(output, root);
        var (c, t, e) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, [NasRoles.Controller], evaluators: 0);
        cluster.Start("trainer", t, [NasRoles.Trainer], evaluators: 0, sets: "nas.backend = torch");
        cluster.Start("evaluator", e, [NasRoles.Evaluator]);
        await cluster.SubmitAsync(controller, method, Spec(method, block));
        var done = await cluster.WaitForStatusAsync(controller, method, s => SearchStatusNames.IsFinal(s.Status), TimeSpan.FromMinutes(5));
        var search = await cluster.ReadJournalAsync(method, "controller");
        Assert.True(done.Status == SearchStatusNames.Completed, string.Join("; ", search.OfType<SearchFailed>().Select(f => f.Reason)));

        var trainer = await DerivedSearchCrashSpec.TrainerJournalAsync(Path.Combine(root, "trainer"), method);
        var saved = trainer.OfType<TrainingEvents.CheckpointSaved>().ToArray();
        Assert.Equal([2L, 4], saved.Select(s => s.Checkpoint.Step));
        Assert.All(saved, s => Assert.Null(s.Distribution!.Probabilities)); // derived architectures, no distribution
        var completed = Assert.IsType<TrainingEvents.TrainingCompleted>(trainer[^1]);
        var derived = completed.Distribution!.Derived!;
        Assert.InRange(derived.Count, 1, samples);
        Assert.Equal(derived.Count, derived.Distinct().Count());
        Assert.Equal(saved[^1].Distribution!.Derived, derived);

        var ready = Assert.Single(search.OfType<SupernetReady>());
        Assert.Equal(derived, ready.Distribution!.Derived);
        var proposed = search.OfType<CandidatesProposed>().SelectMany(p => p.Jobs).OrderBy(j => j.JobId).Select(j => j.Architecture);
        Assert.Equal(derived, proposed);
        Assert.Equal(derived.Count, done.Evaluated);
        output.WriteLine($"{method} derived: {string.Join(", ", derived)}");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
