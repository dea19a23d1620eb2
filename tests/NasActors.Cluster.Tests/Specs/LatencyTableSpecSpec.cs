using Akka.Actor;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Tests.Specs;

/// <summary>
/// A ProxylessNAS or FBNet spec names its latency table (training.METHOD.latency-table): relative to the spec file,
/// checked at submit (exists, parses, fits the space, its settings complete), the key and the path named in every
/// refusal; its trainer reads it (the options carry the path).
/// </summary>
public sealed class LatencyTableSpecSpec(ITestOutputHelper output) : SqliteActorSpec(output)
{
    private string Dir => Directory.CreateDirectory(Path.Combine(Folder, "specs")).FullName;

    private string Table(string name, int layers = 6, string space = BlockSpaces.FmnistMbConv)
    {
        var path = Path.Combine(Dir, name);
        LatencyLoss.WriteTable(path, 0.2, Enumerable.Range(0, layers).Select(_ => new[] { 0.05, 0.06, 0.07, 0.08, 0.09, 0.1 }).ToArray(),
            new Dictionary<string, object> { ["space"] = space });
        return path;
    }

    private string SpecFile(string method, string block)
    {
        var path = Path.Combine(Dir, method + ".conf");
        File.WriteAllText(path, TestSpecs.DerivedHocon(method, methodBlock: $"{method} {{ {block} }}"));
        return path;
    }

    private static SpecException Refused(string path) => Assert.Throws<SpecException>(() => SpecReader.ReadFile(path));

    [Fact]
    public void A_relative_latency_table_is_read_from_the_specDir_into_the_training_options()
    {
        Table("table.json");
        var fbnet = SpecReader.ReadFile(SpecFile("fbnet", "latency-table = table.json, latency-unit = 0.05"));
        var options = fbnet.Training.ToOptions(fbnet.Seed);
        Assert.Equal(Path.Combine(Dir, "table.json"), options.Architecture.LatencyTable);
        Assert.Equal(0.05, options.Architecture.LatencyUnit);
        var proxyless = SpecReader.ReadFile(SpecFile("proxylessnas", "latency-table = table.json, latency-reference = 0.6, latency-loss = additive, latency-lambda = 0.2"));
        var a = proxyless.Training.ToOptions(proxyless.Seed).Architecture;
        Assert.Equal((Path.Combine(Dir, "table.json"), 0.6, "additive", 0.2), (a.LatencyTable, a.LatencyReference!.Value, a.LatencyLoss, a.LatencyLambda!.Value));
    }

    [Fact]
    public void A_missing_latency_table_is_refused_naming_the_key_and_the_path()
    {
        var e = Refused(SpecFile("fbnet", "latency-table = nowhere.json"));
        Assert.Equal("search.training.fbnet.latency-table", e.Key);
        Assert.Contains(Path.Combine(Dir, "nowhere.json"), e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void A_latency_table_that_does_not_parse_or_fit_the_space_is_refused_naming_the_key_and_the_path()
    {
        File.WriteAllText(Path.Combine(Dir, "broken.json"), "{ \"fixed\": 1, ");
        var broken = Refused(SpecFile("fbnet", "latency-table = broken.json"));
        Assert.Equal("search.training.fbnet.latency-table", broken.Key);
        Assert.Contains("broken.json", broken.Message);

        Table("short.json", layers: 5);
        var shape = Refused(SpecFile("fbnet", "latency-table = short.json"));
        Assert.Equal("search.training.fbnet.latency-table", shape.Key);
        Assert.Contains("short.json", shape.Message);
        Assert.Contains("5 layers", shape.Message);

        Table("other.json", space: BlockSpaces.FmnistShuffleNet);
        var other = Refused(SpecFile("proxylessnas", "latency-table = other.json, latency-reference = 1"));
        Assert.Equal("search.training.proxylessnas.latency-table", other.Key);
        Assert.Contains("'fmnist-shufflenet', not 'fmnist-mbconv'", other.Message);
    }

    [Fact]
    public void A_ProxylessNAS_latency_table_without_its_reference_or_with_a_bad_one_is_refused_naming_the_key()
    {
        Table("table.json");
        Assert.Equal("search.training.proxylessnas.latency-reference", Refused(SpecFile("proxylessnas", "latency-table = table.json")).Key);
        Assert.Equal("search.training.proxylessnas.latency-reference", Refused(SpecFile("proxylessnas", "latency-table = table.json, latency-reference = 0")).Key);
        Assert.Equal("search.training.proxylessnas.latency-loss", Refused(SpecFile("proxylessnas", "latency-table = table.json, latency-reference = 1, latency-loss = cubic")).Key);
        Assert.Equal("search.training.fbnet.latency-unit", Refused(SpecFile("fbnet", "latency-table = table.json, latency-unit = -1")).Key);
    }

    [Fact]
    public async Task A_search_naming_a_missing_latency_table_is_rejected_at_submit_and_persists_nothing()
    {
        var (searches, _) = StartSearchActors(evaluators: 0);
        var spec = TestSpecs.Derived("fbnet");
        spec = spec with { Training = spec.Training with { MethodSettings = new Dictionary<string, string> { [SearchSetup.LatencyTableKey] = Path.Combine(Dir, "gone.json") } } };
        var reply = await searches.Ask<object>(new SubmitSearch("lat", spec));
        var rejected = Assert.IsType<SearchRejected>(reply);
        Assert.Contains("search.training.fbnet.latency-table", rejected.Reason);
        Assert.Contains("gone.json", rejected.Reason);
        Assert.IsType<NoSuchSearch>(await searches.Ask<object>(new GetSearchStatus("lat")));
    }
}
