using NasActors.Pbm.Tests.Support;

namespace NasActors.Pbm.Tests;

/// <summary>The interactive mode, with commands from redirected standard input.</summary>
public sealed class InteractiveSpec
{
    private const string Session = """
        help
        help cluster
        cluster show
        clstr show

        cluster status
        history
        exit
        cluster show
        """;

    private static void AssertSession(PbmResult r, string pbm, string self)
    {
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"Connected to {pbm} (", r.Output);
        Assert.Contains("Downloaded 4 palettes from the server: actor, log, cluster, cluster-sharding", r.Output);
        var prompt = $"[{pbm}] pbm> ";
        Assert.Equal(8, r.Output.Split(prompt).Length - 1); // one prompt per line read, up to exit
        Assert.Contains($"  {"cluster",-18} members of the cluster", r.Output);
        Assert.Contains("  cluster down -a|--address <address>  marks a member down", r.Output);
        Assert.Equal(1, r.Output.Split("Count: 1 nodes").Length - 1); // the show after exit never ran
        Assert.Contains($"{prompt}{self} | [controller] | up", r.Output);
        Assert.Contains("   3  cluster show", r.Output);
        Assert.Contains("error: unknown palette 'clstr'", r.Error);
    }

    [Fact]
    public async Task Interactive_mode_through_redirected_standard_input_of_the_pbm_executable()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 1);
        var pbm = ClusterNodes.Pbm(a);

        var result = await PbmCli.RunProcessAsync(Session, pbm);

        AssertSession(result, pbm, ClusterNodes.AddressOf(a).ToString());
    }

    [Fact]
    public async Task Interactive_mode_through_the_entry_point()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 1);
        var pbm = ClusterNodes.Pbm(a);

        var result = await PbmCli.RunAsync([pbm], Session, null);

        AssertSession(result, pbm, ClusterNodes.AddressOf(a).ToString());
    }

    [Fact]
    public async Task One_shot_mode_of_the_pbm_executable_returns_exit_codes()
    {
        await using var nodes = new ClusterNodes();
        var a = nodes.Start("controller");
        await ClusterNodes.AllUpAsync(a, 1);
        var pbm = ClusterNodes.Pbm(a);

        var ok = await PbmCli.RunProcessAsync("", pbm, "cluster", "show");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("Count: 1 nodes", ok.Lines[^1]);
        var bad = await PbmCli.RunProcessAsync("", pbm, "cluster", "nope");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("pbm: unknown command 'nope'", bad.Error);
    }
}
