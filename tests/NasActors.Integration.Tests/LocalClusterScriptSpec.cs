using System.Diagnostics;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>deploy/local-cluster.sh: starts a controller+trainer node and evaluator nodes, runs a search, stops cleanly.</summary>
public sealed class LocalClusterScriptSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nas-local-cluster-").FullName;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task The_local_cluster_script_starts_a_cluster_that_completes_a_search_and_stops_cleanly(string persistence)
    {
        // Ports base .. base+2 for the nodes; base+1000 for the script's PostgreSQL.
        var basePort = NodeProcess.FreePortRange(3);
        var started = false;
        try
        {
            var start = await RunScriptAsync("start", "-n", "2", "--backend", "stub", "--persistence", persistence,
                "--base-port", basePort.ToString(), "--folder", _folder);
            started = true;
            Assert.True(start.Code == 0, start.Output);
            Assert.Contains("cluster up", start.Output);
            var pids = Directory.GetFiles(_folder, "node.pid", SearchOption.AllDirectories).Select(f => int.Parse(File.ReadAllText(f).Trim())).ToArray();
            Assert.Equal(3, pids.Length);

            using var cluster = new TestCluster(output, _folder);
            var spec = SpecReader.ReadText($$"""
                search {
                  name = script, space = table, seed = 3, budget = 24
                  controller { name = evolution, settings { population = 12, top_k = 3, mutation_children = 6, crossover_children = 3, generations = 100 } }
                  evaluation { kind = stub, table = "{{NodeProcess.Table}}", signal = valid12, stub-cost = 20ms }
                }
                """);
            await cluster.SubmitAsync(basePort, "script", spec);
            await cluster.WaitForStatusAsync(basePort, "script", s => s.Status == SearchStatusNames.Completed);

            var stop = await RunScriptAsync("stop", "--folder", _folder);
            started = false;
            Assert.True(stop.Code == 0, stop.Output);
            Assert.Empty(Directory.GetFiles(_folder, "node.pid", SearchOption.AllDirectories));
            foreach (var pid in pids) Assert.False(IsAlive(pid), $"node process {pid} still runs after stop");
            Assert.DoesNotContain("did not stop", stop.Output); // every node left on SIGTERM, none needed kill -9
            if (persistence == "postgres")
            {
                var pg = File.ReadAllText(Path.Combine(_folder, "postgres.path")).Trim();
                Assert.False(File.Exists(Path.Combine(pg, "data", "postmaster.pid")), "PostgreSQL still runs");
                Assert.Contains("PostgreSQL stopped", stop.Output);
            }
        }
        finally
        {
            if (started) output.WriteLine((await RunScriptAsync("stop", "--folder", _folder)).Output);
            foreach (var log in Directory.GetFiles(_folder, "node.log", SearchOption.AllDirectories))
                output.WriteLine($"--- {log} ---\n{File.ReadAllText(log)}");
        }
    }

    /// <summary>
    /// Issue 18: kill -9 of the only controller (controller+trainer) and a restart the way the script starts it: the
    /// restarted node joins the evaluators' cluster (every node is a seed node) instead of forming an island, and the
    /// search completes without an operator, every evaluation recorded once in the journal.
    /// </summary>
    [Fact]
    public async Task The_only_controller_killed_and_restarted_by_the_script_rejoins_and_the_search_completes_with_none_lost_or_twice()
    {
        var basePort = NodeProcess.FreePortRange(3);
        try
        {
            var start = await RunScriptAsync("start", "-n", "2", "--backend", "stub", "--base-port", basePort.ToString(), "--folder", _folder);
            Assert.True(start.Code == 0, start.Output);

            using var cluster = new TestCluster(output, _folder);
            var spec = SpecReader.ReadText($$"""
                search {
                  name = restart, space = table, seed = 5, budget = 48
                  controller { name = evolution, settings { population = 12, top_k = 3, mutation_children = 6, crossover_children = 3, generations = 100 } }
                  evaluation { kind = stub, table = "{{NodeProcess.Table}}", signal = valid12, stub-cost = 400ms }
                }
                """);
            await cluster.SubmitAsync(basePort, "restart", spec);
            var before = await cluster.WaitForStatusAsync(basePort, "restart", s => s.Evaluated >= 8);
            Assert.True(before.Evaluated < spec.Budget, "the controller must die in the middle of the search");

            var controllerPid = int.Parse(File.ReadAllText(Path.Combine(_folder, "controller", "node.pid")).Trim());
            using (var victim = Process.GetProcessById(controllerPid)) { victim.Kill(); victim.WaitForExit(10_000); }
            var killedAt = DateTime.UtcNow;
            output.WriteLine($"killed the controller with {before.Evaluated} evaluations recorded");

            var restart = await RunScriptAsync("restart", "controller", "--folder", _folder);
            Assert.True(restart.Code == 0, restart.Output);
            output.WriteLine($"restarted: {restart.Output.Trim()} ({(DateTime.UtcNow - killedAt).TotalSeconds:0.0} s after the kill)");
            var after = await cluster.WaitForStatusAsync(basePort, "restart", s => s.Evaluated > before.Evaluated, TimeSpan.FromSeconds(120));
            output.WriteLine($"next evaluation recorded {(DateTime.UtcNow - killedAt).TotalSeconds:0.0} s after the kill ({after.Evaluated} recorded)");
            await cluster.WaitForStatusAsync(basePort, "restart", s => s.Status == SearchStatusNames.Completed, TimeSpan.FromSeconds(180));

            TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("restart", "controller"), spec.Budget);
            // One cluster: the restarted controller sees itself and both evaluator nodes up (pbm on base port + 100).
            var show = await PbmCli.RunAsync($"127.0.0.1:{basePort + 100}", "cluster", "show");
            Assert.Equal(3, show.Output.Split('\n').Count(l => l.StartsWith("akka.tcp://", StringComparison.Ordinal) && l.Contains(" | up | ")));
        }
        finally
        {
            output.WriteLine((await RunScriptAsync("stop", "--folder", _folder)).Output);
            foreach (var log in Directory.GetFiles(_folder, "node.log*", SearchOption.AllDirectories))
                output.WriteLine($"--- {log} ---\n{File.ReadAllText(log)}");
        }
    }

    private static bool IsAlive(int pid)
    {
        try { using var p = Process.GetProcessById(pid); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }

    private static async Task<(int Code, string Output)> RunScriptAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(NodeProcess.RepoRoot, "deploy", "local-cluster.sh"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NAS_DLL"] = NodeProcess.NasDll;
        psi.Environment.Remove("NAS_POSTGRES_CONNECTION");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    public void Dispose()
    {
        RunScriptAsync("clean", "--folder", _folder).Wait(TimeSpan.FromMinutes(2));
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
