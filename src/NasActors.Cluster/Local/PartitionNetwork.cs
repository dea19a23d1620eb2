using System.Diagnostics;
using System.Text.RegularExpressions;

namespace NasActors.Cluster.Local;

/// <summary>
/// A private test network of Linux network namespaces that can be cut between groups of hosts and healed: the
/// partition rig of the integration tests and <c>nas bench-partitions</c>. Every host (a node, the database) lives in
/// a namespace of its own (<c>nasp-&lt;pid&gt;-&lt;run&gt;-&lt;name&gt;</c>) with one veth link to a router namespace
/// (host i: 10.213.i.2/24, the router's end 10.213.i.1/24), so every packet between two hosts is routed there. A cut
/// adds <c>ip rule ... blackhole</c> rules in the router for every pair across it (packets silently dropped, as on a
/// broken link: no reset, no ICMP); healing deletes them. Nothing is created in the root namespace: the veths are made
/// directly inside the namespaces, and deleting the namespaces removes everything (done on dispose, also when a test
/// fails; <see cref="SweepLeftovers"/> removes what a killed run left). Needs root and iproute2 (tc netem is not
/// needed: cuts only).
/// </summary>
public sealed partial class PartitionNetwork : IDisposable
{
    public const string NamespacePrefix = "nasp-";
    private const int RulePreference = 1000;
    private static int _runs;

    private readonly string _run;
    private readonly List<Host> _hosts = new();
    private readonly HashSet<(string From, string To)> _blocked = new();
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>A host of the network: its namespace, its address, and the command prefix that runs a program in it.</summary>
    public sealed record Host(string Name, string Namespace, string Address)
    {
        public IReadOnlyList<string> Exec => ["ip", "netns", "exec", Namespace];
        public override string ToString() => $"{Name} ({Address})";
    }

    private PartitionNetwork()
    {
        _run = $"{Environment.ProcessId}-{Interlocked.Increment(ref _runs)}";
        Router = $"{NamespacePrefix}{_run}-rt";
    }

    public string Router { get; }
    public IReadOnlyList<Host> Hosts { get { lock (_gate) return _hosts.ToArray(); } }

    /// <summary>
    /// A new network with its router, after removing what dead runs left behind. Throws
    /// <see cref="InvalidOperationException"/> with what is missing when this machine cannot make one (not root, no
    /// iproute2, no network namespaces): the partition tests then fail and say why, they never pass silently.
    /// </summary>
    public static PartitionNetwork Create()
    {
        EnsureAvailable();
        SweepLeftovers();
        var network = new PartitionNetwork();
        try
        {
            Ip("netns", "add", network.Router);
            Ip("-n", network.Router, "link", "set", "lo", "up");
            Run(["ip", "netns", "exec", network.Router, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Throws with a clear message when network namespaces cannot be made here.</summary>
    public static void EnsureAvailable()
    {
        const string need = "the network partition tests need root and Linux network namespaces (iproute2's `ip netns`, veth links)";
        if (!OperatingSystem.IsLinux()) throw new InvalidOperationException($"{need}: this is not Linux");
        if (Environment.UserName != "root") throw new InvalidOperationException($"{need}: running as {Environment.UserName}, not root");
        try { Run(["ip", "netns", "list"]); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"{need}: `ip netns list` failed: {e.Message}", e);
        }
    }

    /// <summary>A new host with its link to the router; <paramref name="name"/> is short (letters and digits).</summary>
    public Host AddHost(string name)
    {
        if (!ShortName().IsMatch(name)) throw new ArgumentException($"host name '{name}': 1-8 letters or digits", nameof(name));
        int index;
        lock (_gate)
        {
            if (_hosts.Count >= 250) throw new InvalidOperationException("at most 250 hosts");
            if (_hosts.Any(h => h.Name == name)) throw new ArgumentException($"host '{name}' exists already", nameof(name));
            index = _hosts.Count + 1;
        }
        var host = new Host(name, $"{NamespacePrefix}{_run}-{name}", $"10.213.{index}.2");
        lock (_gate) _hosts.Add(host);
        Ip("netns", "add", host.Namespace);
        // Both ends are created inside their namespaces, so no name is ever taken in the root namespace.
        Ip("link", "add", "eth0", "netns", host.Namespace, "type", "veth", "peer", "name", $"h{index}", "netns", Router);
        Batch(host.Namespace,
            "link set lo up",
            $"addr add {host.Address}/24 dev eth0",
            "link set eth0 up",
            $"route add default via 10.213.{index}.1");
        Batch(Router, $"addr add 10.213.{index}.1/24 dev h{index}", $"link set h{index} up");
        return host;
    }

    /// <summary>Cuts every path between a host of <paramref name="side"/> and a host of <paramref name="other"/> (both ways).</summary>
    public void Cut(IEnumerable<Host> side, IEnumerable<Host> other)
    {
        var a = side.ToArray();
        var b = other.ToArray();
        if (a.Intersect(b).FirstOrDefault() is { } both) throw new ArgumentException($"{both} is on both sides of the cut");
        var commands = new List<string>();
        lock (_gate)
        {
            foreach (var x in a)
            foreach (var y in b)
            foreach (var (from, to) in new[] { (x.Address, y.Address), (y.Address, x.Address) })
                if (_blocked.Add((from, to))) commands.Add($"rule add from {from} to {to} blackhole pref {RulePreference}");
        }
        Batch(Router, [.. commands]);
    }

    /// <summary>Cuts <paramref name="hosts"/> off every other host.</summary>
    public void Isolate(params Host[] hosts) => Cut(hosts, Hosts.Except(hosts));

    /// <summary>Removes every cut.</summary>
    public void Heal()
    {
        string[] commands;
        lock (_gate)
        {
            commands = _blocked.Select(p => $"rule del from {p.From} to {p.To} blackhole pref {RulePreference}").ToArray();
            _blocked.Clear();
        }
        Batch(Router, commands);
    }

    public bool IsCut { get { lock (_gate) return _blocked.Count > 0; } }

    /// <summary>Deletes the namespaces (and with them every link, address and rule). Processes still running inside
    /// must have been stopped before; a namespace outlives its name only while a process holds it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        foreach (var ns in Hosts.Select(h => h.Namespace).Append(Router))
            try { Ip("netns", "del", ns); }
            catch (InvalidOperationException) { /* never created */ }
    }

    /// <summary>Deletes the <c>nasp-</c> namespaces of runs whose process is gone (a test run killed before its cleanup).</summary>
    public static int SweepLeftovers()
    {
        var removed = 0;
        foreach (var line in Run(["ip", "netns", "list"]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (LeftoverName().Match(name) is not { Success: true } m) continue;
            if (Directory.Exists($"/proc/{m.Groups[1].Value}")) continue; // that run is alive
            try { Ip("netns", "del", name); removed++; }
            catch (InvalidOperationException) { }
        }
        return removed;
    }

    [GeneratedRegex("^[a-z0-9]{1,8}$")]
    private static partial Regex ShortName();

    [GeneratedRegex(@"^nasp-(\d+)-\d+-")]
    private static partial Regex LeftoverName();

    private static void Ip(params string[] args) => Run(["ip", .. args]);

    /// <summary>Several ip commands in one process (a cut or a heal is applied at once, even with many pairs).</summary>
    private static void Batch(string ns, params string[] commands)
    {
        if (commands.Length == 0) return;
        Run(["ip", "-n", ns, "-batch", "-"], string.Join('\n', commands) + "\n");
    }

    private static string Run(string[] command, string? input = null)
    {
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null, WorkingDirectory = "/",
        };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000)) { p.Kill(true); throw new InvalidOperationException($"{string.Join(' ', command)} did not finish in 30 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', command)} failed ({p.ExitCode}): {stderr.Result.Trim()}");
        return stdout.Result;
    }
}
