using System.Diagnostics;
using System.Text;

namespace NasActors.Pbm.Tests.Support;

/// <summary>What one pbm run printed and returned.</summary>
public sealed record PbmResult(int ExitCode, string Output, string Error)
{
    public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
}

/// <summary>Runs the real client: its entry point in this process with redirected streams, or the built pbm executable.</summary>
public static class PbmCli
{
    public static async Task<PbmResult> RunAsync(params string[] args) => await RunAsync(args, "", null);

    /// <summary>Runs pbm with <paramref name="input"/> as standard input; <paramref name="interruptWhen"/> presses Ctrl+C
    /// once the output so far satisfies it (how a streamed command is stopped).</summary>
    public static async Task<PbmResult> RunAsync(string[] args, string input, Func<string, bool>? interruptWhen, TimeSpan? within = null)
    {
        var output = new WatchedWriter();
        var error = new StringWriter();
        var app = new PbmApp(new StringReader(input), output, error);
        var run = app.RunAsync(args);
        if (interruptWhen is not null)
        {
            await Eventually.HoldsAsync(() => run.IsCompleted || interruptWhen(output.Text), $"pbm output to satisfy the test; so far:\n{output.Text}", within);
            app.Interrupt();
        }
        var finished = await Task.WhenAny(run, Task.Delay(within ?? TimeSpan.FromSeconds(60)));
        if (finished != run) throw new TimeoutException($"pbm {string.Join(' ', args)} did not finish; output:\n{output.Text}");
        return new PbmResult(await run, output.Text, error.ToString());
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "pbm.dll");

    /// <summary>The built pbm as a process (dotnet pbm.dll), standard input from <paramref name="input"/>.</summary>
    public static async Task<PbmResult> RunProcessAsync(string input, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(Executable);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pbm process did not exit; output:\n{await stdout}\n{await stderr}");
        }
        return new PbmResult(process.ExitCode, await stdout, await stderr);
    }

    private sealed class WatchedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text { get { lock (_text) return _text.ToString(); } }

        public override void Write(char value) { lock (_text) _text.Append(value); }

        public override void Write(string? value) { lock (_text) _text.Append(value); }

        public override Task WriteAsync(string? value) { Write(value); return Task.CompletedTask; }

        public override Task WriteLineAsync(string? value) { Write(value + "\n"); return Task.CompletedTask; }
    }
}
