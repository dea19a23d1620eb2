using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>The built pbm executable against real `nas node` processes (stub backend): a killed node is downed with pbm.</summary>
public sealed class PbmNodeProcessSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-pbm-").FullName;

    [Fact]
    public async Task Cluster_down_downs_a_node_killed_with_kill_minus_9()
    {
        var (portA, portB) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        // The split-brain resolver would down the dead node by itself after stable-after: leave that to pbm here.
        string[] sets = ["akka.cluster.split-brain-resolver.stable-after = 5m", $"nas.seed-nodes = [\"akka.tcp://nas@127.0.0.1:{portA}\"]"];
        using var a = new NodeProcess(Directory.CreateDirectory(Path.Combine(_root, "a")).FullName, portA, sets);
        using var b = new NodeProcess(Directory.CreateDirectory(Path.Combine(_root, "b")).FullName, portB, sets);
        var pbmA = await PbmCli.EndpointAsync(a);
        await PbmCli.EndpointAsync(b);

        // "Count: 2 nodes" already holds while the second node is still joining: await it up and reachable.
        var upLine = $"akka.tcp://nas@127.0.0.1:{portB} | [controller,evaluator,trainer] | up |  | ";
        await UntilAsync(async () => (await PbmCli.RunAsync(pbmA, "cluster", "show")).Output.Contains(upLine), "the second node up", a, b);
        var show = await PbmCli.RunAsync(pbmA, "cluster", "show");
        Assert.Contains("Count: 2 nodes", show.Output);

        b.KillHard();
        await UntilAsync(async () => (await PbmCli.RunAsync(pbmA, "cluster", "show")).Output.Contains($"127.0.0.1:{portB} | [controller,evaluator,trainer] | up | unreachable"),
            "the killed node unreachable", a);
        var down = await PbmCli.RunAsync(pbmA, "cluster", "down", "-a", $"akka.tcp://nas@127.0.0.1:{portB}");
        Assert.True(down.ExitCode == 0, down.ToString());
        await UntilAsync(async () => (await PbmCli.RunAsync(pbmA, "cluster", "show")).Output.Contains("Count: 1 nodes"), "the killed node removed", a);
    }

    private async Task UntilAsync(Func<Task<bool>> condition, string what, params NodeProcess[] nodes)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                foreach (var n in nodes) output.WriteLine(n.Output);
                throw new TimeoutException($"timed out waiting for: {what}");
            }
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
