using System.Text.RegularExpressions;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;

namespace NasActors.Cluster.Local;

/// <summary>What a <see cref="PartitionCluster"/> runs and how.</summary>
public sealed record PartitionClusterOptions(string NasDll, string PbmDll, string Root)
{
    /// <summary>Nodes n1..nN, each with every role (controller, trainer, evaluator): any side of a cut can then host a
    /// population, the queue singleton and evaluators.</summary>
    public int Nodes { get; init; } = 5;
    public int EvaluatorsPerNode { get; init; } = 2;
    /// <summary>Failure detection and split-brain resolver: hocon/fast-failover.conf unless false (base.conf's 20 s).</summary>
    public bool FastFailover { get; init; } = true;
    public IReadOnlyList<string> Sets { get; init; } = [];
    public Action<string> Log { get; init; } = _ => { };
}

/// <summary>
/// A cluster of real <c>nas node</c> processes, each in a namespace of a <see cref="PartitionNetwork"/>, and a
/// PostgreSQL journal in a namespace of its own: the test bed of the partition scenarios. Every node lists every
/// node as a seed node (n1 first), binds its namespace's address on port 4053 and serves pbm on 9110 (inside its
/// namespace). Membership is watched from every node (<see cref="ClusterView"/>); queries run as pbm or nas
/// processes inside a node's namespace, the journal is read through PostgreSQL's Unix socket. Everything started is
/// stopped and the namespaces deleted on dispose.
/// </summary>
public sealed partial class PartitionCluster : IAsyncDisposable
{
    public const int RemotingPort = 4053;
    public const int PbmPort = 9110;

    private readonly PartitionClusterOptions _options;
    private readonly List<NasProcess> _commands = new();

    public sealed class Node(string name, PartitionNetwork.Host host, NasProcess process)
    {
        public string Name { get; } = name;
        public PartitionNetwork.Host Host { get; } = host;
        public NasProcess Process { get; } = process;
        public ClusterView? View { get; set; }
        public string Address => $"akka.tcp://nas@{Host.Address}:{RemotingPort}";
        public override string ToString() => Name;
    }

    private PartitionCluster(PartitionClusterOptions options, PartitionNetwork network, PostgresServer postgres, PartitionNetwork.Host database)
    {
        _options = options;
        Network = network;
        Postgres = postgres;
        Database = database;
    }

    public PartitionNetwork Network { get; }
    public PostgresServer Postgres { get; }
    public PartitionNetwork.Host Database { get; }
    public List<Node> Nodes { get; } = new();
    public int Size => _options.Nodes;

    /// <summary>The network, PostgreSQL in its namespace, and the nodes, started and all up (n1 first, so it is the oldest).</summary>
    public static async Task<PartitionCluster> StartAsync(PartitionClusterOptions options)
    {
        foreach (var dll in new[] { options.NasDll, options.PbmDll })
            if (!File.Exists(dll)) throw new FileNotFoundException($"{dll} is missing: build the solution first (dotnet build NasActors.sln)");
        var network = PartitionNetwork.Create();
        PostgresServer? postgres = null;
        try
        {
            var db = network.AddHost("db");
            var hosts = Enumerable.Range(1, options.Nodes).Select(i => network.AddHost($"n{i}")).ToArray();
            postgres = new PostgresServer(db.Address, db.Exec);
            await CreateTablesAsync(postgres);
            var cluster = new PartitionCluster(options, network, postgres, db);
            try
            {
                var seeds = string.Join(",", hosts.Select(h => $"akka.tcp://nas@{h.Address}:{RemotingPort}"));
                foreach (var h in hosts) cluster.Nodes.Add(new Node(h.Name, h, cluster.StartNode(h, seeds)));
                // n1 first: it forms the cluster (first seed node) and is the oldest member, where singletons live.
                await cluster.Nodes[0].Process.WaitForOutputAsync("nas node up", TimeSpan.FromMinutes(3));
                await Task.WhenAll(cluster.Nodes.Skip(1).Select(n => n.Process.WaitForOutputAsync("nas node up", TimeSpan.FromMinutes(3))));
                foreach (var n in cluster.Nodes) n.View = new ClusterView(n.Process, () => cluster.Pbm(n, "cluster", "tail"), options.Nodes);
                await cluster.WaitWholeAsync(DateTime.UtcNow, TimeSpan.FromMinutes(2));
                options.Log($"cluster of {options.Nodes} nodes up: {string.Join(", ", hosts.Select(h => h.ToString()))}; PostgreSQL at {db.Address}");
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }
        catch
        {
            postgres?.Dispose();
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The plugins' tables, made once before the nodes start: on a loaded machine several nodes creating them at once
    /// (DDL under exclusive locks) took longer than a node waits for a connection.
    /// </summary>
    private static async Task CreateTablesAsync(PostgresServer postgres)
    {
        var system = Akka.Actor.ActorSystem.Create("schema", PostgresPersistence.Config(postgres.LocalConnectionString)
            .WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = ERROR")));
        try
        {
            var persistence = Akka.Persistence.Persistence.Instance.Apply(system);
            persistence.JournalFor(null);
            persistence.SnapshotStoreFor(null);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            await using var c = new Npgsql.NpgsqlConnection(postgres.LocalConnectionString);
            await c.OpenAsync();
            while (true)
            {
                await using var q = c.CreateCommand();
                // Both tables, and the journal's unique (persistence_id, sequence_number) index with its primary key.
                q.CommandText = "SELECT (SELECT count(*) FROM pg_tables WHERE tablename IN ('journal', 'snapshot')) * 10 " +
                                "+ (SELECT count(*) FROM pg_indexes WHERE tablename = 'journal' AND indexdef LIKE 'CREATE UNIQUE%')";
                if (Convert.ToInt32(await q.ExecuteScalarAsync()) >= 22) return;
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the journal and snapshot tables were not created within 2 minutes");
                await Task.Delay(200);
            }
        }
        finally { await system.Terminate(); }
    }

    private NasProcess StartNode(PartitionNetwork.Host host, string seeds)
    {
        var env = new Dictionary<string, string>(Postgres.NodeEnvironment)
        {
            // A longer wait for a connection than PostgresServer's 5 s: five nodes on two busy cores.
            ["NAS_POSTGRES_CONNECTION"] = Postgres.ConnectionString.Replace("Timeout=5", "Timeout=15", StringComparison.Ordinal),
            ["NAS_SEED_NODES"] = seeds,
            ["NAS_HOSTNAME"] = host.Address,
            ["NAS_ROLES"] = "controller,trainer,evaluator",
        };
        var args = new List<string> { "node", "--port", RemotingPort.ToString(), "--config", "persistence-postgres.conf" };
        if (_options.FastFailover) args.AddRange(["--config", "fast-failover.conf"]);
        foreach (var set in new[]
                 {
                     "nas.backend = stub", $"nas.evaluators = {_options.EvaluatorsPerNode}", $"nas.pbm.port = {PbmPort}",
                     "nas.population.export-folder = \"\"", "nas.population.snapshot-every = 25", "nas.population.resend-pending-every = 2s",
                     "nas.evaluator-poll = 1s", "akka.loglevel = INFO",
                 }.Concat(_options.Sets))
            args.AddRange(["--set", set]);
        return new NasProcess(_options.NasDll, Path.Combine(_options.Root, host.Name), RemotingPort, env, args, host.Exec, host.Address);
    }

    /// <summary>A one-shot or streaming pbm command against a node's pbm host, run in its namespace.</summary>
    public NasProcess Pbm(Node node, params string[] args)
    {
        var p = new NasProcess(_options.PbmDll, Path.Combine(_options.Root, "pbm"), 0, null, [$"127.0.0.1:{PbmPort}", .. args], node.Host.Exec);
        lock (_commands) _commands.Add(p);
        return p;
    }

    /// <summary>Runs a pbm command to its end; its output, or null when it failed (a node rejoining, the command refused).</summary>
    public async Task<string?> PbmOnceAsync(Node node, params string[] args)
    {
        using var p = Pbm(node, args);
        try { return await p.WaitForExitAsync(TimeSpan.FromSeconds(60)) == 0 ? p.Output : null; }
        catch (TimeoutException) { return null; }
        finally { lock (_commands) _commands.Remove(p); }
    }

    /// <summary>Submits a search (HOCON text) through a node, with <c>nas submit</c> in its namespace.</summary>
    public async Task SubmitAsync(Node node, string id, string spec)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_options.Root, "specs")).FullName;
        var file = Path.Combine(folder, id + ".conf");
        await File.WriteAllTextAsync(file, spec);
        // Retried: a submit of the same spec is accepted again, and the first may meet the journal still starting.
        for (var attempt = 1; ; attempt++)
        {
            using var p = new NasProcess(_options.NasDll, folder, 0, null, ["submit", file, "--id", id, "--node", $"{node.Host.Address}:{RemotingPort}"], node.Host.Exec);
            if (await p.WaitForExitAsync(TimeSpan.FromMinutes(2)) == 0) return;
            if (attempt == 3) throw new InvalidOperationException($"nas submit {id} failed 3 times:\n{p.Output}");
        }
    }

    [GeneratedRegex(@"^node: akka\.tcp://nas@([0-9.]+):", RegexOptions.Multiline)]
    private static partial Regex NodeLine();

    /// <summary>The node hosting a search's population (asked through the first node that answers).</summary>
    public async Task<Node> LocateAsync(string id, IEnumerable<Node>? through = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(90));
        while (true)
        {
            foreach (var n in through ?? Nodes)
                if (await PbmOnceAsync(n, "nas", "show", "-s", id) is { } output && NodeLine().Match(output) is { Success: true } m)
                    return Nodes.Single(x => x.Host.Address == m.Groups[1].Value);
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"search {id}: no node could tell where its population runs");
            await Task.Delay(500);
        }
    }

    /// <summary>The node hosting the evaluation-queue singleton (the job holder): the one whose manager has a child.</summary>
    public async Task<Node> QueueHostAsync()
    {
        foreach (var n in Nodes)
            if (await PbmOnceAsync(n, "actor", "hierarchy", "-s", "/user/evaluation-queue", "-d", "1") is { } output
                && output.Split('\n').Any(l => l.Contains("/user/evaluation-queue/", StringComparison.Ordinal)))
                return n;
        throw new InvalidOperationException("no node hosts the evaluation-queue singleton");
    }

    /// <summary>What the queue says each evaluator does (<c>pbm nas evaluators</c> through a node): node | name | busy | jobs done | job.</summary>
    public async Task<IReadOnlyList<string>> EvaluatorsAsync(Node through) =>
        (await PbmOnceAsync(through, "nas", "evaluators") ?? "").Split('\n').Where(l => l.Contains(" | ", StringComparison.Ordinal)).ToArray();

    /// <summary>The first moment at or after <paramref name="after"/> when every node's view was whole (waits for it).</summary>
    public async Task<DateTime> WaitWholeAsync(DateTime after, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var times = Nodes.Select(n => n.View?.WholeAt(after)).ToArray();
            if (times.All(t => t is not null) && Nodes.All(n => n.View!.Whole)) return times.Max()!.Value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the cluster was not whole again ({Size} members up, none unreachable, on every node) within {within}: " +
                                           string.Join(", ", Nodes.Where(n => n.View?.Whole != true).Select(n => n.Name)) + " see it otherwise");
            await Task.Delay(200);
        }
    }

    /// <summary>Every row of the journal (through the Unix socket: no cut affects it), retried while the server is busy.</summary>
    public async Task<IReadOnlyList<JournalRow>> JournalAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await SearchHistory.ReadPostgresAsync(Postgres.LocalConnectionString); }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && attempt < 10) { await Task.Delay(500); }
        }
    }

    /// <summary>The rows of one search.</summary>
    public async Task<IReadOnlyList<JournalRow>> SearchRowsAsync(string id) =>
        (await JournalAsync()).Where(r => r.PersistenceId == SearchActor.PersistenceIdOf(id)).OrderBy(r => r.SequenceNr).ToArray();

    /// <summary>Reads the search's journal every 200 ms until <paramref name="found"/> gives a value.</summary>
    public async Task<T> WaitForJournalAsync<T>(string id, Func<IReadOnlyList<JournalRow>, T?> found, TimeSpan within, string what) where T : class
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            if (found(await SearchRowsAsync(id)) is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"search {id}: {what} did not happen within {within}");
            await Task.Delay(200);
        }
    }

    /// <summary>Each node's output, for a failed test's log.</summary>
    public string Outputs() => string.Join("\n", Nodes.Select(n => $"--- {n.Name} ({n.Host.Address}) ---\n{n.Process.Output}")) +
                               $"\n--- PostgreSQL ({Database.Address}) ---\n{Postgres.Log}";

    public async ValueTask DisposeAsync()
    {
        foreach (var n in Nodes) if (n.View is { } v) await v.DisposeAsync();
        lock (_commands) foreach (var c in _commands) c.Dispose();
        foreach (var n in Nodes) n.Process.Dispose();
        Postgres.Dispose();
        Network.Dispose();
    }
}
