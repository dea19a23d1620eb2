using System.Text.Json;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issue 7: `nas rank-study` runs as searches of the actor system (stand-alone trainings and supernet scorings are
/// evaluation jobs, supernets are trained by trainer actors), journaled as they arrive: a study killed mid-way resumes
/// without redoing what is recorded, on one in-process node or on a cluster of processes.
/// </summary>
public sealed class RankStudySpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-rank-study-").FullName;

    private string[] Tiny(string folder, int k = 4) =>
    [
        "rank-study", "-k", k.ToString(), "--steps", "3", "--batch-size", "32", "--standalone-epochs", "1",
        "--recalibration-batches", "2", "--resamples", "300", "--level", "0.9", "--seed", "3", "--threads", "1", "--device", "cpu",
        "-o", folder,
    ];

    [Fact]
    public async Task A_tiny_study_runs_through_the_actors_resumes_after_kill_minus_9_and_its_statistics_match_a_hand_count()
    {
        var folder = Path.Combine(_root, "study");
        // First run: killed (kill -9) once the stand-alone part is complete and the SPOS supernet trains.
        using (var first = NodeProcess.Nas(_root, Tiny(folder)))
        {
            await first.WaitForOutputAsync("[spos] training", TimeSpan.FromMinutes(8));
            first.KillHard();
            output.WriteLine(first.Output);
        }
        Assert.False(File.Exists(Path.Combine(folder, "study.json")));

        using var second = NodeProcess.Nas(_root, Tiny(folder));
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromMinutes(8)) == 0, second.Output);
        output.WriteLine(second.Output);
        // The stand-alone part was complete in the journal: the resumed run trains none of it again.
        var firstStandalone = second.Output.Split('\n').First(l => l.Contains("[standalone]"));
        Assert.Contains("completed, 4/4 evaluated", firstStandalone);

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "study.json")));
        var architectures = json.RootElement.GetProperty("architectures").EnumerateArray().ToArray();
        Assert.Equal(4, architectures.Length);
        var truth = architectures.Select(a => a.GetProperty("standaloneTestAccuracy").GetDouble()).ToArray();
        Assert.True(truth.Distinct().Count() > 1, "stand-alone accuracies must differ for a meaningful ranking");
        Assert.All(truth, t => Assert.InRange(t, 0.15, 1.0)); // trained: better than chance (10 classes)
        foreach (var method in json.RootElement.GetProperty("methods").EnumerateArray())
        {
            var name = method.GetProperty("method").GetString()!;
            var scores = architectures.Select(a => a.GetProperty("supernetValidationAccuracy").GetProperty(name).GetDouble()).ToArray();
            Assert.Equal(HandTauB(scores, truth), method.GetProperty("kendallTau").GetProperty("estimate").GetDouble(), 9);
            Assert.Equal(HandRho(scores, truth), method.GetProperty("spearmanRho").GetProperty("estimate").GetDouble(), 9);
        }
        Assert.True(File.Exists(Path.Combine(folder, "scatter-fairnas.png")));

        // Other settings on the same study: refused with the reason, exit code 2, the journal's study untouched.
        var report = File.ReadAllBytes(Path.Combine(folder, "study.json"));
        using var other = NodeProcess.Nas(_root, Tiny(folder, k: 5));
        Assert.Equal(2, await other.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains("another spec", other.Output);
        Assert.Equal(report, File.ReadAllBytes(Path.Combine(folder, "study.json")));
    }

    [Fact]
    public async Task A_study_runs_on_a_cluster_its_trainings_and_scorings_taken_by_the_evaluator_nodes()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        cluster.Start("controller", c, [NasRoles.Controller, NasRoles.Trainer], evaluators: 0);
        cluster.Start("evaluator-1", e1, [NasRoles.Evaluator]);
        cluster.Start("evaluator-2", e2, [NasRoles.Evaluator]);
        using var study = NodeProcess.Nas(_root, [.. Tiny(Path.Combine(_root, "cluster-study"), k: 6), "--node", $"127.0.0.1:{c}", "--name", "on-cluster"]);
        Assert.True(await study.WaitForExitAsync(TimeSpan.FromMinutes(5)) == 0, study.Output + cluster.Outputs());
        output.WriteLine(study.Output);
        foreach (var part in new[] { "standalone", "spos", "fairnas" })
        {
            var recorded = TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync($"on-cluster-{part}", "controller"), 6);
            // The controller node has no evaluators: every evaluation ran on an evaluator node.
            Assert.All(recorded, r => Assert.True(r.Evaluator.Contains($":{e1}/") || r.Evaluator.Contains($":{e2}/"), r.Evaluator));
        }
        Assert.True(File.Exists(Path.Combine(_root, "cluster-study", "study.json")));
    }

    private static double HandTauB(double[] x, double[] y)
    {
        double c = 0, d = 0, tx = 0, ty = 0, n = 0;
        for (var i = 0; i < x.Length; i++)
        for (var j = 0; j < i; j++)
        {
            n++;
            if (x[i] == x[j]) tx++;
            if (y[i] == y[j]) ty++;
            if (x[i] == x[j] || y[i] == y[j]) continue;
            if ((x[i] > x[j]) == (y[i] > y[j])) c++; else d++;
        }
        return (c - d) / Math.Sqrt((n - tx) * (n - ty));
    }

    private static double HandRho(double[] x, double[] y)
    {
        static double[] Ranks(double[] v) => v.Select(a => v.Count(b => b < a) + (v.Count(b => b == a) + 1) / 2.0).ToArray();
        double[] rx = Ranks(x), ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average();
        var sxy = rx.Zip(ry, (a, b) => (a - mx) * (b - my)).Sum();
        return sxy / Math.Sqrt(rx.Sum(a => (a - mx) * (a - mx)) * ry.Sum(b => (b - my) * (b - my)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
