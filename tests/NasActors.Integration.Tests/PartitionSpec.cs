using Xunit.Abstractions;
using static NasActors.Cluster.Local.PartitionScenarios;

namespace NasActors.Integration.Tests;

/// <summary>The partition scenarios run after the other integration tests, alone: five nodes on two cores are timing-sensitive.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PartitionCollection
{
    public const string Name = "network partitions";
}

/// <summary>
/// Issue 20: network partitions between real node processes, each in a Linux network namespace of its own
/// (<see cref="PartitionNetwork"/>; root needed: without it every test here fails saying so), PostgreSQL in another.
/// Each scenario runs an evolutionary stub search through a cut and its healing, then checks the whole journal with
/// the history checker (contiguous sequence numbers, one writer at a time, every job recorded exactly once, the
/// result of an uninterrupted run) and that the database refused no second writer.
/// </summary>
[Collection(PartitionCollection.Name)]
public sealed class PartitionSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-partition-").FullName;

    private async Task RunAsync(string scenario)
    {
        var outcome = await PartitionScenarios.RunAsync(scenario, new PartitionClusterOptions(NodeProcess.NasDll, NodeProcess.PbmDll, _root)
        {
            Log = output.WriteLine,
        });
        Assert.True(outcome.Verdict!.Clean, $"journal: {outcome.Verdict}");
        Assert.True(outcome.RefusedWrites == 0, $"the database refused {outcome.RefusedWrites} duplicate write(s): two incarnations wrote at once");
        Assert.True(outcome.Failures.Count == 0, string.Join("\n", outcome.Failures));
    }

    [Fact]
    public Task A_minority_holding_the_population_is_downed_and_the_search_completes_on_the_majority_with_one_writer_at_a_time() =>
        RunAsync(MajorityMinority);

    [Fact]
    public Task Jobs_held_by_a_minority_with_the_job_queue_are_requeued_and_every_result_is_recorded_once_also_after_healing() =>
        RunAsync(QueueOnMinority);

    [Fact]
    public Task An_even_split_never_has_two_writers_of_one_population_and_the_search_completes_after_healing() =>
        RunAsync(EvenSplit);

    [Fact]
    public Task A_flapping_link_loses_nothing_and_records_nothing_twice() =>
        RunAsync(Flapping);

    [Fact]
    public Task A_partition_between_the_nodes_and_the_database_only_keeps_the_cluster_whole_and_the_search_completes() =>
        RunAsync(Database);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
