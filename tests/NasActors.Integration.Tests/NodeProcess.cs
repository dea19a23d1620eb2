using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace NasActors.Integration.Tests;

/// <summary>A real `nas node` process on the stub backend, with its journal in a given folder.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public static string NasDll => Path.GetFullPath(Metadata("NasDll"));
    public static string Table => Path.GetFullPath(Metadata("NbTable"));
    public static string PbmDll => Path.GetFullPath(Metadata("PbmDll"));

    private static string Metadata(string key) => typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public NodeProcess(string folder, int port, params string[] extraSets)
    {
        if (!File.Exists(NasDll)) throw new FileNotFoundException($"{NasDll} is missing: build src/NasActors.Node first (dotnet build NasActors.sln).");
        Port = port;
        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { NasDll, "node", "--port", port.ToString(), "--set", "nas.backend = stub", "--set", "nas.evaluators = 2",
                     "--set", "nas.population.snapshot-every = 25", "--set", "nas.population.resend-pending-every = 2s",
                     "--set", "nas.pbm.port = 0" })
            psi.ArgumentList.Add(a);
        foreach (var s in extraSets) { psi.ArgumentList.Add("--set"); psi.ArgumentList.Add(s); }
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Port { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>kill -9: no shutdown hook runs.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }
}
