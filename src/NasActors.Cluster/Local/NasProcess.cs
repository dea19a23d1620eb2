using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace NasActors.Cluster.Local;

/// <summary>
/// A <c>dotnet nas.dll ...</c> process on this machine (a node or any other command), its output captured line by line
/// with the time each line arrived: real processes for the integration tests and <c>nas bench-recovery</c>.
/// </summary>
public class NasProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<(DateTime At, string Line)> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A free loopback port p such that p .. p + count - 1 are all free now.</summary>
    public static int FreePortRange(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = FreePort();
            var listeners = new List<TcpListener>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var l = new TcpListener(IPAddress.Loopback, first + i);
                    l.Start();
                    listeners.Add(l);
                }
                return first;
            }
            catch (SocketException) { }
            finally { foreach (var l in listeners) l.Stop(); }
        }
        throw new InvalidOperationException($"no {count} consecutive free loopback ports found");
    }

    /// <param name="nasDll">The nas.dll to run (through dotnet), or a self-contained nas executable.</param>
    /// <param name="folder">Working folder (created): a node keeps its data/ there.</param>
    /// <param name="port">The node's remoting port (0 for commands that are not nodes).</param>
    /// <param name="environment">Extra environment variables (seed nodes, roles, PostgreSQL connection and password).</param>
    /// <param name="launcher">A command the process is started through, e.g. <c>ip netns exec ns</c> (it must exec the
    /// program, so that the process id and the signals are the program's).</param>
    /// <param name="host">The address the node binds (its <see cref="Address"/>).</param>
    public NasProcess(string nasDll, string folder, int port, IReadOnlyDictionary<string, string>? environment, IEnumerable<string> arguments,
        IReadOnlyList<string>? launcher = null, string host = "127.0.0.1")
    {
        if (!File.Exists(nasDll)) throw new FileNotFoundException($"{nasDll} is missing: build src/NasActors.Node first (dotnet build NasActors.sln).");
        Port = port;
        Host = host;
        Directory.CreateDirectory(folder);
        // nas.dll runs through dotnet; a self-contained publish's executable (deploy/gpu: no .NET SDK there) runs itself.
        var command = (launcher ?? []).Concat(nasDll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ["dotnet", nasDll] : [nasDll]).ToArray();
        var psi = new ProcessStartInfo(command[0]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var c in command.Skip(1)) psi.ArgumentList.Add(c);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Add(e.Data, _stdout);
        _process.ErrorDataReceived += (_, e) => Add(e.Data, _stderr);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits for the process to end and returns its exit code; <paramref name="cancel"/> (Ctrl+C of the
    /// caller) ends the wait with <see cref="OperationCanceledException"/>, and disposing this ends the process.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan within, CancellationToken cancel = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        cts.CancelAfter(within);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { throw new TimeoutException($"nas did not end within {within}\n{Output}"); }
        return _process.ExitCode;
    }

    private void Add(string? line, StringBuilder stream)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.AppendLine(line);
            stream.AppendLine(line);
            _lines.Add((DateTime.UtcNow, line));
        }
        _lineArrived.Release();
    }

    public int Port { get; }
    public string Host { get; }
    public string Address => $"akka.tcp://nas@{Host}:{Port}";
    public bool HasExited => _process.HasExited;
    public int ProcessId => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }
    /// <summary>Standard output alone (complete once the process ended: <see cref="WaitForExitAsync"/>).</summary>
    public string StandardOutput { get { lock (_output) return _stdout.ToString(); } }
    /// <summary>Standard error alone (complete once the process ended).</summary>
    public string StandardError { get { lock (_output) return _stderr.ToString(); } }

    /// <summary>The lines so far, each with the time it arrived.</summary>
    public IReadOnlyList<(DateTime At, string Line)> Lines { get { lock (_output) return _lines.ToArray(); } }

    /// <summary>When a line containing <paramref name="text"/> appeared (at or after <paramref name="after"/>: waits for it; no sleeps).</summary>
    public async Task<DateTime> WaitForOutputAsync(string text, TimeSpan within, DateTime? after = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            // Checked before the lines: once the process has ended and its output is read to the end, nothing more comes.
            var ended = _process.HasExited && _process.WaitForExit(5_000);
            lock (_output)
                foreach (var (at, line) in _lines)
                    if (at >= (after ?? DateTime.MinValue) && line.Contains(text, StringComparison.Ordinal)) return at;
            if (ended) throw new TimeoutException($"'{text}' did not appear on node {Host}:{Port}: the process ended (exit code {_process.ExitCode})\n{Output}");
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"'{text}' did not appear in {within} on node {Host}:{Port}\n{Output}");
            await _lineArrived.WaitAsync(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1));
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>SIGTERM: the node leaves the cluster through CoordinatedShutdown; waits for the process to end.</summary>
    public async Task StopGracefullyAsync(TimeSpan within)
    {
        if (_process.HasExited) return;
        kill(_process.Id, 15);
        using var cts = new CancellationTokenSource(within);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { throw new TimeoutException($"node :{Port} did not stop within {within} after SIGTERM\n{Output}"); }
    }

    /// <summary>kill -9: no shutdown hook runs.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    private bool _disposed;

    public void Dispose()
    {
        lock (_lines)
        {
            if (_disposed) return;
            _disposed = true;
        }
        KillHard();
        _process.Dispose();
        GC.SuppressFinalize(this);
    }
}
