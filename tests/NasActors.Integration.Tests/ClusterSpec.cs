using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issue 5's acceptance, with real node processes on loopback ports: a controller+trainer node and evaluator nodes
/// form a cluster; evaluator nodes die (kill -9), join and leave mid-search; the node hosting the population dies
/// with a second controller present (PostgreSQL journal); the whole cluster stops and starts again.
/// </summary>
public sealed class ClusterSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] ControllerTrainer = [NasRoles.Controller, NasRoles.Trainer];
    private static readonly string[] Evaluator = [NasRoles.Evaluator];
    private readonly string _root = Directory.CreateTempSubdirectory("nas-cluster-").FullName;

    /// <summary>Evolution on the NAS-Bench-201 table; generations of 24 jobs keep every evaluator busy.</summary>
    private static SearchSpec Spec(int budget, int costMs, int population = 24) => SpecReader.ReadText($$"""
        search {
          name = cluster
          space = table
          seed = 17
          budget = {{budget}}
          top-k = 10
          controller { name = evolution, settings { population = {{population}}, top_k = 4, mutation_children = {{population / 2}}, crossover_children = {{population / 4}}, generations = 100 } }
          evaluation { kind = stub, table = "{{NodeProcess.Table}}", signal = valid12, stub-cost = {{costMs}}ms }
        }
        """);

    private static string PortOf(string evaluator) => evaluator[(evaluator.IndexOf(':') + 1)..evaluator.IndexOf('/')];

    [Fact]
    public async Task A_three_node_cluster_of_a_controller_and_two_evaluator_nodes_runs_a_search_to_completion()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        cluster.Start("evaluator-1", e1, Evaluator);
        cluster.Start("evaluator-2", e2, Evaluator);
        var spec = Spec(budget: 48, costMs: 50);
        // The search takes about a second of work: submit once the queue knows both evaluator nodes (CI once saw the
        // second join 5 s late and the first do every job).
        await cluster.WaitForEvaluatorNodesAsync(controller, e1, e2);
        await cluster.SubmitAsync(controller, "three", spec);
        await cluster.WaitForStatusAsync(controller, "three", s => s.Status == SearchStatusNames.Completed);

        var recorded = TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("three", "controller"), spec.Budget);
        var byNode = recorded.GroupBy(r => PortOf(r.Evaluator)).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("evaluations by node: " + string.Join(", ", byNode.Select(kv => $":{kv.Key} {kv.Value}")));
        Assert.Equal(new[] { e1.ToString(), e2.ToString() }.Order(), byNode.Keys.Order()); // both evaluator nodes, never the controller
    }

    [Fact]
    public async Task Kill_minus_9_of_an_evaluator_node_requeues_its_jobs_and_the_search_completes_with_none_lost_or_recorded_twice()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        var victim = cluster.Start("evaluator-1", e1, Evaluator, sets: "akka.loglevel = INFO");
        var survivor = cluster.Start("evaluator-2", e2, Evaluator, sets: "akka.loglevel = INFO");
        var spec = Spec(budget: 48, costMs: 1000); // 12 s of work on 4 evaluator actors
        await cluster.SubmitAsync(controller, "kill-evaluator", spec);
        // Once both evaluator nodes work (all three members up: killing one of two members would leave the keep-majority
        // resolver a tie, which the lowest address wins), its evaluators hold a job each.
        await victim.WaitForOutputAsync("took its first job", TimeSpan.FromSeconds(90));
        await survivor.WaitForOutputAsync("took its first job", TimeSpan.FromSeconds(90));
        // A node joining late takes jobs before it is up (CI saw the kill land then: two up members, a tie the dead
        // node's side won, and the controller downed itself).
        await cluster.WaitForMembersUpAsync(controller, 3);
        var at = await cluster.WaitForStatusAsync(controller, "kill-evaluator", s => s.Evaluated >= 6);
        victim.KillHard();
        output.WriteLine($"killed evaluator-1 with {at.Evaluated} evaluations recorded");
        // Jobs are re-queued when the node is downed (failure detector + SBR), not after the 10 min job timeout.
        await controller.WaitForOutputAsync("died holding", TimeSpan.FromSeconds(90));
        await cluster.WaitForStatusAsync(controller, "kill-evaluator", s => s.Status == SearchStatusNames.Completed);

        var recorded = TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("kill-evaluator", "controller"), spec.Budget);
        Assert.Contains(recorded, r => PortOf(r.Evaluator) == e2.ToString());
    }

    [Fact]
    public async Task Kill_minus_9_of_the_node_hosting_the_population_restarts_it_on_the_second_controller_from_the_PostgreSQL_journal()
    {
        using var postgres = new PostgresServer();
        using var cluster = new TestCluster(output, _root, postgres);
        var (c1, c2, e) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.AddRange([c1, c2]);
        var first = cluster.Start("controller-1", c1, ControllerTrainer, evaluators: 0, postgres: true);
        var second = cluster.Start("controller-2", c2, ControllerTrainer, evaluators: 0, postgres: true);
        cluster.Start("evaluator", e, Evaluator, evaluators: 3);
        var spec = Spec(budget: 48, costMs: 600); // about 10 s of work on 3 evaluators: the kill lands mid-search on a quiet machine too
        await cluster.SubmitAsync(first, "kill-host", spec);
        await cluster.WaitForStatusAsync(first, "kill-host", s => s.Evaluated >= 10);
        var host = await cluster.LocationAsync(first, "kill-host");
        var (victim, survivor) = host == first.Address ? (first, second) : (second, first);
        Assert.Equal(victim.Address, host);
        var before = await cluster.WaitForStatusAsync(survivor, "kill-host", _ => true);
        await cluster.WaitForMembersUpAsync(survivor, 3); // with two up members the kill would leave the resolver a tie
        victim.KillHard();
        output.WriteLine($"killed {host} (hosting the population) with {before.Evaluated} evaluations recorded");

        var done = await cluster.WaitForStatusAsync(survivor, "kill-host", s => s.Status == SearchStatusNames.Completed);
        Assert.Equal(survivor.Address, await cluster.LocationAsync(survivor, "kill-host"));
        Assert.True(before.Evaluated < spec.Budget, "the host must die in the middle of the search");
        Assert.Equal(spec.Budget, done.Evaluated);
        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("kill-host"), spec.Budget);
    }

    [Fact]
    public async Task A_whole_cluster_stop_and_restart_resumes_from_the_journal_and_ends_as_a_run_never_stopped()
    {
        var spec = Spec(budget: 72, costMs: 60);
        // The reference: one node with every role, never stopped.
        SearchReplies.SearchResults reference;
        using (var single = new TestCluster(output, Path.Combine(_root, "reference")))
        {
            var port = NodeProcess.FreePort();
            single.SeedPorts.Add(port);
            var node = single.Start("single", port, NasRoles.All.ToArray());
            await single.SubmitAsync(node, "restart", spec);
            await single.WaitForStatusAsync(node, "restart", s => s.Status == SearchStatusNames.Completed);
            reference = await single.ResultsAsync(node, "restart");
        }

        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        NodeProcess[] StartAll() =>
        [
            cluster.Start("controller", c, ControllerTrainer, evaluators: 0),
            cluster.Start("evaluator-1", e1, Evaluator),
            cluster.Start("evaluator-2", e2, Evaluator),
        ];
        var nodes = StartAll();
        await cluster.SubmitAsync(nodes[0], "restart", spec);
        var at = await cluster.WaitForStatusAsync(nodes[0], "restart", s => s.Evaluated >= 20);
        // Stop every node (SIGTERM: CoordinatedShutdown) at once, then start them all again on the same folders.
        await Task.WhenAll(nodes.Select(n => n.StopGracefullyAsync(TimeSpan.FromSeconds(60))));
        output.WriteLine($"stopped the whole cluster with {at.Evaluated} evaluations recorded");
        Assert.True(at.Evaluated < spec.Budget, "the cluster must stop in the middle of the search");
        nodes = StartAll();
        await cluster.WaitForStatusAsync(nodes[0], "restart", s => s.Status == SearchStatusNames.Completed);
        var resumed = await cluster.ResultsAsync(nodes[0], "restart");

        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("restart", "controller"), spec.Budget);
        Assert.Equal(SearchExport.Top(reference, 10).Select(t => (t.Architecture, t.Accuracy)),
            SearchExport.Top(resumed, 10).Select(t => (t.Architecture, t.Accuracy)));
        Assert.Equal(reference.Evaluations.Select(e => (e.JobId, e.Architecture, e.Accuracy)).Order(),
            resumed.Evaluations.Select(e => (e.JobId, e.Architecture, e.Accuracy)).Order());
    }

    [Fact]
    public async Task An_evaluator_node_that_joins_mid_search_takes_jobs_within_seconds()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        cluster.Start("evaluator-1", e1, Evaluator, evaluators: 1);
        var spec = Spec(budget: 48, costMs: 300);
        await cluster.SubmitAsync(controller, "join", spec);
        await cluster.WaitForStatusAsync(controller, "join", s => s.Evaluated >= 4);
        var late = cluster.Start("evaluator-2", e2, Evaluator, evaluators: 1, sets: "akka.loglevel = INFO");
        var joined = await late.WaitForOutputAsync("Welcome from", TimeSpan.FromSeconds(120));
        var firstJob = await late.WaitForOutputAsync("took its first job", TimeSpan.FromSeconds(120));
        output.WriteLine($"first job {(firstJob - joined).TotalSeconds:F2} s after joining");
        Assert.True(firstJob - joined < TimeSpan.FromSeconds(10), $"first job {(firstJob - joined).TotalSeconds:F1} s after joining");
        await cluster.WaitForStatusAsync(controller, "join", s => s.Status == SearchStatusNames.Completed);
        var recorded = TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("join", "controller"), spec.Budget);
        Assert.Contains(recorded, r => PortOf(r.Evaluator) == e2.ToString());
    }

    [Fact]
    public async Task An_evaluator_node_leaving_gracefully_hands_its_jobs_back_at_once()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        cluster.Start("evaluator-1", e1, Evaluator, evaluators: 1);
        var leaving = cluster.Start("evaluator-2", e2, Evaluator, evaluators: 1, sets: "akka.loglevel = INFO");
        // Jobs of 4 s, and the node is stopped as soon as it has taken one, so it leaves in the middle of that job even
        // on a loaded machine (waiting for recorded evaluations through pbm first, CI once saw the node leave idle).
        var spec = Spec(budget: 6, costMs: 4000, population: 6);
        await cluster.SubmitAsync(controller, "leave", spec);
        await leaving.WaitForOutputAsync("took its first job", TimeSpan.FromSeconds(90));
        var stopAt = DateTime.UtcNow;
        await leaving.StopGracefullyAsync(TimeSpan.FromSeconds(60));
        Assert.Contains("evaluators handed back 1 job(s)", leaving.Output);
        var handedBack = await controller.WaitForOutputAsync("handed back", TimeSpan.FromSeconds(60));
        output.WriteLine($"handed back {(handedBack - stopAt).TotalSeconds:F2} s after SIGTERM");
        await cluster.WaitForStatusAsync(controller, "leave", s => s.Status == SearchStatusNames.Completed);
        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("leave", "controller"), spec.Budget);
        Assert.DoesNotContain("died holding", controller.Output); // handed back, not recovered after the node's removal
    }

    [Fact]
    public async Task PostgreSQL_stopped_for_10_s_during_a_search_is_survived_and_the_search_completes_with_none_lost_or_recorded_twice()
    {
        using var postgres = new PostgresServer();
        using var cluster = new TestCluster(output, _root, postgres);
        var (c, e) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0, postgres: true);
        cluster.Start("evaluator", e, Evaluator, evaluators: 3);
        var spec = Spec(budget: 48, costMs: 150);
        await cluster.SubmitAsync(controller, "db-outage", spec);
        var before = await cluster.WaitForStatusAsync(controller, "db-outage", s => s.Evaluated >= 10);
        postgres.Stop();
        output.WriteLine($"PostgreSQL stopped with {before.Evaluated} evaluations recorded");
        await Task.Delay(TimeSpan.FromSeconds(10)); // the outage itself: its length is what this test is about
        postgres.Start();
        var done = await cluster.WaitForStatusAsync(controller, "db-outage", s => s.Status == SearchStatusNames.Completed, TimeSpan.FromMinutes(5));
        Assert.Equal(spec.Budget, done.Evaluated);
        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("db-outage"), spec.Budget);
    }

    [Fact]
    public async Task After_PostgreSQL_comes_back_the_node_wakes_the_search_it_could_not_recover_without_a_restart_or_a_message()
    {
        using var postgres = new PostgresServer();
        using var cluster = new TestCluster(output, _root, postgres);
        var (c, e) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        // The shard would restart the stopped population only after this backoff or on a message for it: here only
        // the node's RecoveryRetry can wake it (nothing below asks the population anything while it is down).
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0, postgres: true,
            "akka.cluster.sharding.entity-restart-backoff = 1h");
        cluster.Start("evaluator", e, Evaluator, evaluators: 3);
        var spec = Spec(budget: 48, costMs: 150);
        await cluster.SubmitAsync(controller, "db-back", spec);
        await cluster.WaitForStatusAsync(controller, "db-back", s => s.Evaluated >= 10);
        postgres.Stop();
        await controller.WaitForOutputAsync("could not be recovered", TimeSpan.FromMinutes(2));
        // Until the queue has handed out and heard back every job it held: no result is on its way to the population.
        await cluster.WaitForQueueIdleAsync(controller);
        postgres.Start();

        var events = await cluster.Eventually(async () =>
        {
            var es = await cluster.ReadJournalAsync("db-back");
            return es.Count > 0 && es[^1] is SearchEvents.SearchCompleted ? es : throw new InvalidOperationException("not completed yet");
        }, TimeSpan.FromMinutes(3));
        Assert.Contains("The journal answers again", controller.Output);
        TestCluster.AssertNothingLostOrTwice(events, spec.Budget);
    }

    [Fact]
    public async Task A_search_that_needs_a_supernet_trains_it_on_the_trainer_node_and_evaluates_on_the_evaluator_node()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, t, e) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, [NasRoles.Controller], evaluators: 0);
        cluster.Start("trainer", t, [NasRoles.Trainer], evaluators: 0, sets: "nas.stub-step-cost = 100ms");
        cluster.Start("evaluator", e, Evaluator);
        // The stub trainer writes small checkpoints; a stub node scores torch-kind jobs with stub scores.
        var spec = SpecReader.ReadText("""
            search {
              name = supernet, space = fmnist-mbconv, dataset = fmnist-embedded, seed = 5, budget = 16
              controller { name = evolution, settings { population = 8, top_k = 3, mutation_children = 4, crossover_children = 2 } }
              training { method = fairnas, steps = 12, checkpoint-every = 4 }
              evaluation { kind = torch }
            }
            """);
        await cluster.SubmitAsync(controller, "supernet", spec);
        var done = await cluster.WaitForStatusAsync(controller, "supernet", s => s.Status == SearchStatusNames.Completed);
        Assert.NotNull(done.Checkpoint);
        Assert.Equal(12, done.TrainingStep); // progress reports reached the population from the trainer node
        var events = await cluster.ReadJournalAsync("supernet", "controller");
        var ready = Assert.Single(events.OfType<SearchEvents.SupernetReady>());
        Assert.True(ready.Final);
        Assert.Equal(12, ready.Checkpoint.Step);
        // The checkpoint was written on the trainer node, not on the controller.
        Assert.Single(Directory.GetFiles(Path.Combine(_root, "trainer", "data", "checkpoints", "supernet"), ready.Checkpoint.Sha256 + ".*"));
        TestCluster.AssertNothingLostOrTwice(events, spec.Budget);
    }

    [Fact]
    public async Task Nodes_without_seed_nodes_form_a_cluster_through_config_discovery()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        var discovery = $"nas.discovery.endpoints = [\"127.0.0.1:{c}\", \"127.0.0.1:{e}\"]";
        var controller = cluster.Start("controller", c, ControllerTrainer, 0, false, ["discovery-config.conf"], discovery);
        cluster.Start("evaluator", e, Evaluator, 2, false, ["discovery-config.conf"], discovery);
        var spec = Spec(budget: 24, costMs: 20, population: 12);
        await cluster.SubmitAsync(controller, "discovery", spec);
        await cluster.WaitForStatusAsync(controller, "discovery", s => s.Status == SearchStatusNames.Completed);
        var recorded = TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("discovery", "controller"), spec.Budget);
        Assert.All(recorded, r => Assert.Equal(e.ToString(), PortOf(r.Evaluator))); // the evaluator node joined the controller's cluster
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
