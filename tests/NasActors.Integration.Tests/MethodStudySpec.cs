using System.Text.Json;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issues 7 and 16: `nas method-study` (alias rank-study) runs as searches of the actor system (stand-alone trainings and
/// supernet scorings are evaluation jobs, supernets are trained by trainer actors), journaled as they arrive: a study
/// killed mid-way resumes without redoing what is recorded and ends with the numbers of an uninterrupted run, on one
/// in-process node or on a cluster of processes; a method that diverges gets its row marked failed, the others complete.
/// </summary>
public sealed class MethodStudySpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-method-study-").FullName;

    // DARTS learns a distribution (its argmax is trained stand-alone too); One-Shot gets a learning rate that diverges.
    private static string[] Tiny(string folder, int k = 4, bool allFour = true) =>
    [
        "method-study", .. allFour ? (string[])["--methods", "spos,fairnas,darts,oneshot", "--method-learning-rate", "oneshot=1e12"] : ["--methods", "spos,fairnas"],
        "-k", k.ToString(), "--seeds", "2", "--supernet-images", "960", "--batch-size", "32", "--standalone-epochs", "1",
        "--train-images", "4000", "--reference-dataset", "fmnist-embedded",
        "--recalibration-batches", "2", "--resamples", "300", "--level", "0.9", "--seed", "3", "--threads", "1", "--device", "cpu",
        "-o", folder,
    ];

    [Fact]
    public async Task Ctrl_C_or_SIGTERM_stops_a_study_within_seconds_exit_130_and_the_same_command_resumes_it()
    {
        // Before: the node stopped under the study, which waited 60 s on an ask and exited 1 ("Timeout after 60.00
        // seconds"), or the process ended while a training thread was inside LibTorch (SIGSEGV).
        var folder = Path.Combine(_root, "stopped");
        using (var first = NodeProcess.Nas(_root, Tiny(folder, allFour: false)))
        {
            await first.WaitForOutputAsync("[standalone-s1] running", TimeSpan.FromMinutes(5));
            await first.StopGracefullyAsync(TimeSpan.FromSeconds(40));
            output.WriteLine(first.Output);
            Assert.Equal(130, await first.WaitForExitAsync(TimeSpan.FromSeconds(5)));
            Assert.Contains("nas: interrupted", first.StandardError);
            Assert.DoesNotContain("Timeout", first.Output);
        }
        using var second = NodeProcess.Nas(_root, Tiny(folder, allFour: false));
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromMinutes(10)) == 0, second.Output);
        Assert.True(File.Exists(Path.Combine(folder, "study.json")));
    }

    [Fact]
    public async Task A_tiny_study_resumes_after_kill_minus_9_to_the_numbers_of_an_uninterrupted_run_and_marks_a_diverged_method_failed()
    {
        var whole = Path.Combine(_root, "whole");
        using (var uninterrupted = NodeProcess.Nas(_root, Tiny(whole)))
        {
            Assert.True(await uninterrupted.WaitForExitAsync(TimeSpan.FromMinutes(15)) == 0, uninterrupted.Output);
            output.WriteLine(uninterrupted.Output);
        }

        var folder = Path.Combine(_root, "study");
        // First run: killed (kill -9) once the reference is complete and the SPOS supernet trains.
        using (var first = NodeProcess.Nas(_root, Tiny(folder)))
        {
            await first.WaitForOutputAsync("[spos] training", TimeSpan.FromMinutes(15));
            first.KillHard();
            output.WriteLine(first.Output);
        }
        Assert.False(File.Exists(Path.Combine(folder, "study.json")));

        using var second = NodeProcess.Nas(_root, Tiny(folder));
        Assert.True(await second.WaitForExitAsync(TimeSpan.FromMinutes(15)) == 0, second.Output);
        output.WriteLine(second.Output);
        // The reference was complete in the journal: the resumed run trains none of it again.
        Assert.Contains("completed, 4/4 evaluated", second.Output.Split('\n').First(l => l.Contains("[standalone-s1]")));
        Assert.Contains("completed, 4/4 evaluated", second.Output.Split('\n').First(l => l.Contains("[standalone-s2]")));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "study.json")));
        using var wholeJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(whole, "study.json")));
        // The same numbers as the run that was never killed: the reference, and every method's scores and statistics.
        Assert.Equal(Numbers(wholeJson.RootElement), Numbers(json.RootElement));

        var architectures = json.RootElement.GetProperty("reference").GetProperty("architectures").EnumerateArray().ToArray();
        Assert.Equal(4, architectures.Length);
        var truth = architectures.Select(a => a.GetProperty("mean").GetDouble()).ToArray();
        Assert.True(truth.Distinct().Count() > 1, "stand-alone accuracies must differ for a meaningful ranking");
        Assert.All(truth, t => Assert.InRange(t, 0.15, 1.0)); // trained: better than chance (10 classes)
        var methods = json.RootElement.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("method").GetString()!);
        Assert.Equal(["spos", "fairnas", "darts", "oneshot"], methods.Keys);
        foreach (var name in new[] { "spos", "fairnas", "darts" })
        {
            var method = methods[name];
            Assert.Equal("completed", method.GetProperty("status").GetString());
            var scores = architectures.Select(a => method.GetProperty("scores").GetProperty(a.GetProperty("architecture").GetString()!).GetDouble()).ToArray();
            Assert.Equal(HandTauB(scores, truth), method.GetProperty("kendallTau").GetProperty("estimate").GetDouble(), 9);
            Assert.Equal(HandRho(scores, truth), method.GetProperty("spearmanRho").GetProperty("estimate").GetDouble(), 9);
            Assert.Equal(2, method.GetProperty("standaloneSeedAccuracies").GetArrayLength());
        }
        Assert.Equal("derived (argmax)", methods["darts"].GetProperty("architectureBy").GetString());
        var diverged = methods["oneshot"];
        Assert.Equal("failed", diverged.GetProperty("status").GetString());
        Assert.Contains("diverged", diverged.GetProperty("failure").GetString());
        Assert.Contains("**failed**", File.ReadAllText(Path.Combine(folder, "study.md")));
        Assert.True(File.Exists(Path.Combine(folder, "scatter-fairnas.png")));
        Assert.True(File.Exists(Path.Combine(folder, "bars-tau.png")));

        // Other settings on the same study: refused with the reason, exit code 2, the journal's study untouched.
        var report = File.ReadAllBytes(Path.Combine(folder, "study.json"));
        using var other = NodeProcess.Nas(_root, Tiny(folder, k: 5));
        Assert.Equal(2, await other.WaitForExitAsync(TimeSpan.FromMinutes(3)));
        Assert.Contains("another spec", other.Output);
        Assert.Equal(report, File.ReadAllBytes(Path.Combine(folder, "study.json")));
    }

    /// <summary>Every number of a study's JSON that depends on training (not times or memory).</summary>
    private static string Numbers(JsonElement root) => JsonSerializer.Serialize(new
    {
        reference = root.GetProperty("reference").GetProperty("architectures").EnumerateArray()
            .Select(a => a.GetProperty("seedAccuracies").EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray(),
        methods = root.GetProperty("methods").EnumerateArray().Select(m => new
        {
            scores = m.GetProperty("scores").ToString(), tau = m.GetProperty("kendallTau").ToString(),
            architecture = m.GetProperty("architecture").ToString(), found = m.GetProperty("standaloneSeedAccuracies").ToString(),
        }).ToArray(),
    });

    [Fact]
    public async Task A_study_runs_on_a_cluster_its_trainings_and_scorings_taken_by_the_evaluator_nodes()
    {
        using var cluster = new TestCluster(output, _root);
        var (c, e1, e2) = (NodeProcess.FreePort(), NodeProcess.FreePort(), NodeProcess.FreePort());
        cluster.SeedPorts.Add(c);
        cluster.Start("controller", c, [NasRoles.Controller, NasRoles.Trainer], evaluators: 0);
        cluster.Start("evaluator-1", e1, [NasRoles.Evaluator]);
        cluster.Start("evaluator-2", e2, [NasRoles.Evaluator]);
        using var study = NodeProcess.Nas(_root, [.. Tiny(Path.Combine(_root, "cluster-study"), k: 6, allFour: false),
            "--node", $"127.0.0.1:{c}", "--name", "on-cluster"]);
        Assert.True(await study.WaitForExitAsync(TimeSpan.FromMinutes(5)) == 0, study.Output + cluster.Outputs());
        output.WriteLine(study.Output);
        foreach (var part in new[] { "standalone-s1", "standalone-s2", "spos", "fairnas" })
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
