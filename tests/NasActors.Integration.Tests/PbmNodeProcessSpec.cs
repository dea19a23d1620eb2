using System.Diagnostics;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>The built pbm executable against real `nas node` processes (stub backend): a killed node is downed with pbm.</summary>
public sealed partial class PbmNodeProcessSpec(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nas-pbm-").FullName;

    [GeneratedRegex(@"pbm host at 127\.0\.0\.1:(\d+)")]
    private static partial Regex PbmLine();

    [Fact]
    public async Task Cluster_down_downs_a_node_killed_with_kill_minus_9()
    {
        var (portA, portB) = (NodeProcess.FreePort(), NodeProcess.FreePort());
        // The split-brain resolver would down the dead node by itself after stable-after: leave that to pbm here.
        string[] sets = ["akka.cluster.split-brain-resolver.stable-after = 5m", $"nas.seed-nodes = [\"akka.tcp://nas@127.0.0.1:{portA}\"]"];
        using var a = new NodeProcess(Directory.CreateDirectory(Path.Combine(_root, "a")).FullName, portA, sets);
        using var b = new NodeProcess(Directory.CreateDirectory(Path.Combine(_root, "b")).FullName, portB, sets);
        var pbmA = await PbmEndpointAsync(a);
        await PbmEndpointAsync(b);

        await UntilAsync(async () => (await RunPbmAsync(pbmA, "cluster", "show")).Output.Contains("Count: 2 nodes"), "two members", a, b);
        var show = await RunPbmAsync(pbmA, "cluster", "show");
        Assert.Contains($"akka.tcp://nas@127.0.0.1:{portB} | [controller,evaluator,trainer] | up |  | ", show.Output);

        b.KillHard();
        await UntilAsync(async () => (await RunPbmAsync(pbmA, "cluster", "show")).Output.Contains($"127.0.0.1:{portB} | [controller,evaluator,trainer] | up | unreachable"),
            "the killed node unreachable", a);
        var down = await RunPbmAsync(pbmA, "cluster", "down", "-a", $"akka.tcp://nas@127.0.0.1:{portB}");
        Assert.True(down.ExitCode == 0, down.ToString());
        await UntilAsync(async () => (await RunPbmAsync(pbmA, "cluster", "show")).Output.Contains("Count: 1 nodes"), "the killed node removed", a);
    }

    private sealed record Run(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
    }

    private static async Task<Run> RunPbmAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(NodeProcess.PbmDll);
        foreach (var x in args) psi.ArgumentList.Add(x);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var (o, e) = (p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return new Run(p.ExitCode, await o, await e);
    }

    private static async Task<string> PbmEndpointAsync(NodeProcess node)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (PbmLine().Match(node.Output) is { Success: true } m) return $"127.0.0.1:{m.Groups[1].Value}";
            await Task.Delay(100);
        }
        throw new TimeoutException($"no pbm host line from the node:\n{node.Output}");
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
