using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issue 18, "cluster membership that heals", with real node processes: an evaluator node in a cluster without a
/// controller joins the controller's cluster by itself, and a node that was downed joins again without a restart.
/// </summary>
public sealed class MembershipSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] ControllerTrainer = [NasRoles.Controller, NasRoles.Trainer];
    private static readonly string[] Evaluator = [NasRoles.Evaluator];
    private readonly string _root = Directory.CreateTempSubdirectory("nas-membership-").FullName;

    private static SearchSpec Spec(string name) => SpecReader.ReadText($$"""
        search {
          name = {{name}}, space = table, seed = 9, budget = 24
          controller { name = evolution, settings { population = 12, top_k = 3, mutation_children = 6, crossover_children = 3, generations = 100 } }
          evaluation { kind = stub, table = "{{NodeProcess.Table}}", signal = valid12, stub-cost = 20ms }
        }
        """);

    [Fact]
    public async Task An_evaluator_node_in_a_cluster_without_a_controller_joins_the_controller_that_formed_a_cluster_of_its_own()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        // The island of issue 18: the evaluator node starts first and, as its first seed node, forms a cluster of its
        // own; the controller, whose only seed node is itself, forms another.
        cluster.SeedPorts.AddRange([e, c]);
        var evaluator = cluster.Start("evaluator", e, Evaluator, 2, false, "nas.cluster.missing-controller-timeout = 3s");
        await evaluator.WaitForOutputAsync("nas node up", TimeSpan.FromSeconds(90));
        cluster.SeedPorts.Clear();
        cluster.SeedPorts.Add(c);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        await controller.WaitForOutputAsync("nas node up", TimeSpan.FromSeconds(90));

        await evaluator.WaitForOutputAsync($"joining again through akka.tcp://nas@127.0.0.1:{c}", TimeSpan.FromSeconds(60));
        await cluster.WaitForMembersUpAsync(controller, 2);
        var spec = Spec("island");
        await cluster.SubmitAsync(controller, "island", spec);
        await cluster.WaitForStatusAsync(controller, "island", s => s.Status == SearchStatusNames.Completed);
        var recorded = TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("island", "controller"), spec.Budget);
        Assert.All(recorded, r => Assert.Contains($":{e}/", r.Evaluator));
        Assert.False(evaluator.HasExited);
    }

    [Fact]
    public async Task A_downed_node_starts_a_new_actor_system_and_joins_the_cluster_again()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.AddRange([c, e]);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        var evaluator = cluster.Start("evaluator", e, Evaluator);
        await cluster.WaitForMembersUpAsync(controller, 2);

        var down = await PbmCli.RunAsync(await PbmCli.EndpointAsync(controller), "cluster", "down", "-a", evaluator.Address);
        Assert.True(down.ExitCode == 0, down.ToString());
        await evaluator.WaitForOutputAsync("nas: this node was removed from the cluster (downed): joining again through its seed nodes", TimeSpan.FromSeconds(60));
        // A new actor system: a second "joining" line (on a busy machine the first may never have printed "up": the
        // controller saw it up and downed it before the node itself heard of it); then both members up again.
        await cluster.Eventually(() => CountOf(evaluator.Output, "joining (seed nodes") >= 2 ? Task.FromResult(true) : throw new InvalidOperationException("not joining again yet"),
            TimeSpan.FromSeconds(90));
        await cluster.WaitForMembersUpAsync(controller, 2);

        var spec = Spec("downed");
        await cluster.SubmitAsync(controller, "downed", spec);
        await cluster.WaitForStatusAsync(controller, "downed", s => s.Status == SearchStatusNames.Completed);
        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("downed", "controller"), spec.Budget);
        Assert.False(evaluator.HasExited);
    }

    [Fact]
    public async Task A_cluster_whose_every_node_was_downed_forms_again_through_its_first_seed_node()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.AddRange([c, e1, e2]);
        var controller = cluster.Start("controller", c, ControllerTrainer, evaluators: 0);
        var evaluators = new[] { cluster.Start("evaluator-1", e1, Evaluator), cluster.Start("evaluator-2", e2, Evaluator) };
        await cluster.WaitForMembersUpAsync(controller, 3);

        // Everybody downed, as down-all-when-unstable does: the first seed node rejoins through the others only (it
        // must not form a second cluster while a partition lasts), so nobody would let anybody in; once a majority of
        // the seed nodes has answered for 30 s, it forms the cluster again and the others join it.
        var pbm = await PbmCli.EndpointAsync(controller);
        foreach (var node in evaluators)
            Assert.True((await PbmCli.RunAsync(pbm, "cluster", "down", "-a", node.Address)).ExitCode == 0);
        await PbmCli.RunAsync(pbm, "cluster", "down", "-a", controller.Address); // itself: the answer may not make it out
        await controller.WaitForOutputAsync("as the first seed node, rejoining through the others only", TimeSpan.FromSeconds(60));
        await controller.WaitForOutputAsync("as the first seed node, joining or forming one", TimeSpan.FromSeconds(120));
        await cluster.Eventually(() => CountOf(controller.Output, "nas node up") >= 2 ? Task.FromResult(true) : throw new InvalidOperationException("not up again yet"),
            TimeSpan.FromSeconds(90));
        // Its new actor system serves pbm on a new port (nas.pbm.port = 0): ask that one whether all three are up.
        var again = System.Text.RegularExpressions.Regex.Matches(controller.Output, @"pbm host at (127\.0\.0\.1:\d+)")[^1].Groups[1].Value;
        await cluster.Eventually(async () =>
        {
            var show = await PbmCli.RunAsync(again, "cluster", "show");
            return show.Output.Split('\n').Count(l => l.Contains(" | up |  | ", StringComparison.Ordinal)) == 3
                ? true : throw new InvalidOperationException($"not yet 3 members up:\n{show}");
        }, TimeSpan.FromSeconds(120));

        var spec = Spec("all-downed");
        await cluster.SubmitAsync(controller, "all-downed", spec);
        await cluster.WaitForStatusAsync(controller, "all-downed", s => s.Status == SearchStatusNames.Completed);
        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("all-downed", "controller"), spec.Budget);
    }

    private static int CountOf(string text, string part)
    {
        var n = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
