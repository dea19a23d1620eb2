using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NasActors.Integration.Tests;

/// <summary>The built pbm executable, run as a user would against a node's pbm host.</summary>
public static partial class PbmCli
{
    public sealed record Run(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
    }

    [GeneratedRegex(@"pbm host at 127\.0\.0\.1:(\d+)")]
    private static partial Regex PbmLine();

    public static async Task<Run> RunAsync(params string[] args)
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

    /// <summary>The node's pbm host (host:port), from the line it prints at start.</summary>
    public static async Task<string> EndpointAsync(NodeProcess node)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (PbmLine().Match(node.Output) is { Success: true } m) return $"127.0.0.1:{m.Groups[1].Value}";
            await Task.Delay(100);
        }
        throw new TimeoutException($"no pbm host line from the node:\n{node.Output}");
    }
}
