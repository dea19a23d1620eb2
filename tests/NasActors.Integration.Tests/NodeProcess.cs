using System.Reflection;
using NasActors.Cluster.Local;

namespace NasActors.Integration.Tests;

/// <summary>A real `nas node` process of this build on the stub backend, with its journal in a given folder.</summary>
public sealed class NodeProcess : NasProcess
{
    public static string NasDll => Path.GetFullPath(Metadata("NasDll"));
    public static string Table => Path.GetFullPath(Metadata("NbTable"));
    public static string RepoRoot => Path.GetFullPath(Metadata("RepoRoot"));
    public static string PbmDll => Path.GetFullPath(Metadata("PbmDll"));

    private static string Metadata(string key) => typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value!;

    public NodeProcess(string folder, int port, params string[] extraSets) : this(folder, port, null, [], extraSets) { }

    /// <param name="environment">Extra environment variables (seed nodes, PostgreSQL connection and password).</param>
    /// <param name="configs">HOCON files after base.conf (e.g. persistence-postgres.conf).</param>
    public NodeProcess(string folder, int port, IReadOnlyDictionary<string, string>? environment, string[] configs, params string[] extraSets)
        : base(NasDll, folder, port, environment, NodeArguments(port, configs, extraSets)) { }

    private NodeProcess(string folder, IEnumerable<string> arguments) : base(NasDll, folder, 0, null, arguments) { }

    private static IEnumerable<string> NodeArguments(int port, string[] configs, string[] extraSets)
    {
        foreach (var a in new[] { "node", "--port", port.ToString(), "--set", "nas.backend = stub", "--set", "nas.evaluators = 2",
                     "--set", "nas.population.snapshot-every = 25", "--set", "nas.population.resend-pending-every = 2s",
                     "--set", "nas.pbm.port = 0" })
            yield return a;
        foreach (var c in configs) { yield return "--config"; yield return c; }
        foreach (var s in extraSets) { yield return "--set"; yield return s; }
    }

    /// <summary>Any `nas` command (e.g. rank-study) as a process in <paramref name="folder"/>, its output captured.</summary>
    public static NodeProcess Nas(string folder, params string[] arguments) => new(folder, (IEnumerable<string>)arguments);
}
