using Akka.Actor;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Pbm.Tests.Support;

namespace NasActors.Pbm.Tests;

/// <summary>Every command of the nas palette on running searches of a node wired as `nas node` wires it (stub backends).</summary>
public sealed class NasPaletteSpec
{
    private static string SpecFile => Path.Combine(AppContext.BaseDirectory, "specs", "nb201-stub.conf");

    /// <summary>hocon/specs/nb201-stub.conf, its table from the test output, each evaluation taking a while so it keeps running.</summary>
    private static SearchSpec Tabular()
    {
        var text = File.ReadAllText(SpecFile).Replace("../../tests/data/nb201-cifar10.csv", Path.Combine(AppContext.BaseDirectory, "data", "nb201-cifar10.csv"));
        var spec = SpecReader.ReadText(text, SpecFile);
        return spec with { Evaluation = spec.Evaluation with { StubCost = TimeSpan.FromMilliseconds(250) } };
    }

    /// <summary>A search that trains a supernet (stub trainer, 50 ms a step): it stays in training during the test.</summary>
    private static SearchSpec Supernet() => SpecReader.ReadText("""
        search {
          name = supernet
          space = fmnist-mbconv
          dataset = fmnist-embedded
          seed = 5
          budget = 16
          controller { name = evolution, settings { population = 8, top_k = 3, mutation_children = 4, crossover_children = 2 } }
          training { method = fairnas, steps = 100000, checkpoint-every = 20, evaluate-on = final }
          evaluation { kind = torch }
        }
        """);

    [Fact]
    public async Task Every_nas_command_works_on_a_running_search()
    {
        await using var node = await NasNode.StartAsync(stubStepCost: TimeSpan.FromMilliseconds(50));
        Assert.IsType<SearchReplies.SearchAccepted>(await node.Api.Ask<object>(new SearchCommands.SubmitSearch("tab", Tabular()), TimeSpan.FromSeconds(20)));
        Assert.IsType<SearchReplies.SearchAccepted>(await node.Api.Ask<object>(new SearchCommands.SubmitSearch("sup", Supernet()), TimeSpan.FromSeconds(20)));
        var pbm = node.Pbm;

        var searches = await Eventually.ReturnsAsync(() => PbmCli.RunAsync(pbm, "nas", "searches"),
            r => r.Output.Contains("tab | nb201-evolution | running | evolution on table") && r.Output.Contains("sup | supernet | training"), "both searches listed");
        Assert.Equal("Count: 2 searches", searches.Lines[^1]);

        var show = await Eventually.ReturnsAsync(() => PbmCli.RunAsync(pbm, "nas", "show", "-s", "tab"),
            r => r.ExitCode == 0 && !r.Output.Contains("best: -"), "a best architecture in nas show");
        Assert.Contains("phase: running", show.Output);
        Assert.Matches(@"evaluations: \d+/200 \(failed 0, pending \d+, generations \d+\)", show.Output);
        Assert.Contains("supernet: none", show.Output);

        var training = await Eventually.ReturnsAsync(() => PbmCli.RunAsync(pbm, "nas", "show", "-s", "sup"),
            r => r.Output.Contains("loss 0."), "supernet progress in nas show");
        Assert.Contains("phase: training", training.Output);
        Assert.Matches(@"supernet: step \d+/100000, loss \d\.\d{4}, checkpoint ", training.Output);

        var top = await Eventually.ReturnsAsync(() => PbmCli.RunAsync(pbm, "nas", "top", "-s", "tab", "-k", "3"),
            r => r.Lines.Length > 0 && r.Lines[^1] == "Count: 3 architectures", "three evaluated architectures");
        Assert.StartsWith("#1 | job ", top.Lines[0]);
        Assert.Contains("| accuracy ", top.Lines[0]);

        var pareto = await PbmCli.RunAsync(pbm, "nas", "pareto", "-s", "tab");
        Assert.True(pareto.ExitCode == 0, pareto.ToString());
        Assert.Matches(@"Count: [1-9]\d* architectures on the front", pareto.Lines[^1]);

        var evaluators = await PbmCli.RunAsync(pbm, "nas", "evaluators");
        Assert.True(evaluators.ExitCode == 0, evaluators.ToString());
        Assert.Equal("Count: 2 evaluators", evaluators.Lines[^1]);
        Assert.All(evaluators.Lines[..^1], l => Assert.Matches(@"^akka\.tcp://nas@127\.0\.0\.1:\d+ \| evaluator-\d \| (busy|idle) \| jobs done: \d+ \| ", l));

        var trainers = await PbmCli.RunAsync(pbm, "nas", "trainers");
        Assert.True(trainers.ExitCode == 0, trainers.ToString());
        Assert.Matches(@"^sup \| akka\.tcp://nas@127\.0\.0\.1:\d+ \| training \| step \d+/100000 \| loss \d\.\d{4} \| checkpoint ", trainers.Lines[0]);
        Assert.Equal("Count: 1 trainers", trainers.Lines[^1]);

        var tail = await PbmCli.RunAsync(["--token", "ignored-on-loopback-without-token", pbm, "nas", "tail", "-s", "tab"], "",
            o => o.Split('\n').Count(l => l.StartsWith('#')) >= 5);
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.StartsWith("#1 | job ", tail.Lines[0]);
        Assert.Contains("status: running", tail.Output);

        var regions = await PbmCli.RunAsync(pbm, "cluster-sharding", "region-stats", "-r", "search");
        Assert.True(regions.ExitCode == 0, regions.ToString());
        Assert.Matches(@"\[coordinator\]\(search\) \| shards: \d+ \| entities: 2$", regions.Lines.Single());

        var pause = await PbmCli.RunAsync(pbm, "nas", "pause", "-s", "tab");
        Assert.True(pause.ExitCode == 0, pause.ToString());
        Assert.Equal("search tab is paused", pause.Lines.Single());
        Assert.Contains("phase: paused", (await PbmCli.RunAsync(pbm, "nas", "show", "-s", "tab")).Output);
        Assert.Equal("search tab is running", (await PbmCli.RunAsync(pbm, "nas", "resume", "-s", "tab")).Lines.Single());
        Assert.Equal("search tab is cancelled", (await PbmCli.RunAsync(pbm, "nas", "cancel", "-s", "tab")).Lines.Single());
        Assert.Equal("search sup is cancelled", (await PbmCli.RunAsync(pbm, "nas", "cancel", "-s", "sup", "-r", "test over")).Lines.Single());

        // A tail of a finished search prints every result and its status, then ends by itself.
        var ended = await PbmCli.RunAsync(pbm, "nas", "tail", "-s", "tab");
        Assert.True(ended.ExitCode == 0, ended.ToString());
        Assert.Equal("status: cancelled", ended.Lines[^1]);

        var missing = await PbmCli.RunAsync(pbm, "nas", "show", "-s", "nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("pbm: no such search: nope", missing.Error.Trim());
    }
}
