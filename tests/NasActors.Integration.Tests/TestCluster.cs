using Akka.Actor;
using Akka.Configuration;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using Xunit.Abstractions;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Integration.Tests;

/// <summary>
/// Several `nas node` processes on loopback ports forming one cluster (seed nodes from NAS_SEED_NODES), a remoting
/// client that talks to their APIs, and the checks every cluster test makes on the journal. Every process started is
/// killed on dispose (also when the test fails) and its output written to the test log.
/// </summary>
public sealed class TestCluster : IDisposable
{
    /// <summary>Fast failure handling for tests: the SBR decides 4 s after membership settles (20 s in production).</summary>
    public static readonly string[] ClusterSets =
    [
        "akka.cluster.split-brain-resolver.stable-after = 4s",
        "nas.evaluator-poll = 1s",
        "nas.job-timeout = 10m", // re-queues in these tests come from deaths and leaves, never from a deadline
    ];

    private readonly ITestOutputHelper _output;
    private readonly List<(string Name, NodeProcess Node)> _nodes = new();
    private readonly ActorSystem _client;

    public TestCluster(ITestOutputHelper output, string root, PostgresServer? postgres = null)
    {
        _output = output;
        Root = root;
        Postgres = postgres;
        _client = ActorSystem.Create("cluster-test-client", ConfigurationFactory.ParseString(NasSerializer.Hocon + """

            akka.loglevel = ERROR
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            """));
    }

    public string Root { get; }
    public PostgresServer? Postgres { get; }
    public List<int> SeedPorts { get; } = new();

    public string SeedNodes => string.Join(",", SeedPorts.Select(p => $"akka.tcp://nas@127.0.0.1:{p}"));

    /// <summary>Starts a node with these roles; its folder is Root/name (kept across restarts of the same name).</summary>
    public NodeProcess Start(string name, int port, string[] roles, int evaluators = 2, bool postgres = false, params string[] sets) =>
        Start(name, port, roles, evaluators, postgres, [], sets);

    public NodeProcess Start(string name, int port, string[] roles, int evaluators, bool postgres, string[] extraConfigs, params string[] sets)
    {
        var env = new Dictionary<string, string> { ["NAS_SEED_NODES"] = SeedNodes, ["NAS_ROLES"] = string.Join(",", roles) };
        var configs = extraConfigs;
        if (postgres)
        {
            foreach (var (k, v) in Postgres!.NodeEnvironment) env[k] = v;
            configs = ["persistence-postgres.conf", .. extraConfigs];
        }
        var node = new NodeProcess(Path.Combine(Root, name), port, env, configs, [.. ClusterSets, $"nas.evaluators = {evaluators}", .. sets]);
        _nodes.Add((name, node));
        return node;
    }

    public ActorSelection Api(NodeProcess node) => Api(node.Port);

    public ActorSelection Api(int port) => _client.ActorSelection($"akka.tcp://nas@127.0.0.1:{port}/user/{SearchApi.Name}");

    public Task SubmitAsync(NodeProcess node, string id, SearchSpec spec) => SubmitAsync(node.Port, id, spec);

    public Task<SearchReplies.SearchStatus> WaitForStatusAsync(NodeProcess node, string id, Func<SearchReplies.SearchStatus, bool> done, TimeSpan? within = null) =>
        WaitForStatusAsync(node.Port, id, done, within);

    public async Task SubmitAsync(int node, string id, SearchSpec spec)
    {
        var accepted = await Eventually(async () => await Api(node).Ask<object>(new SearchCommands.SubmitSearch(id, spec), TimeSpan.FromSeconds(3)),
            TimeSpan.FromSeconds(120));
        Assert.IsType<SearchReplies.SearchAccepted>(accepted);
    }

    public Task<SearchReplies.SearchStatus> WaitForStatusAsync(int node, string id, Func<SearchReplies.SearchStatus, bool> done, TimeSpan? within = null) =>
        Eventually(async () =>
        {
            var s = await Api(node).Ask<object>(new SearchQueries.GetSearchStatus(id), TimeSpan.FromSeconds(3));
            return s is SearchReplies.SearchStatus st && done(st) ? st : throw new InvalidOperationException($"not yet: {s}");
        }, within ?? TimeSpan.FromSeconds(240));

    public Task<SearchReplies.SearchResults> ResultsAsync(NodeProcess node, string id) =>
        Eventually(() => Api(node).Ask<SearchReplies.SearchResults>(new SearchQueries.GetSearchResults(id), TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(60));

    public Task<string> LocationAsync(NodeProcess node, string id) =>
        Eventually(async () => (await Api(node).Ask<SearchReplies.SearchLocation>(new SearchQueries.GetSearchLocation(id), TimeSpan.FromSeconds(3))).Node,
            TimeSpan.FromSeconds(60));

    /// <summary>
    /// Waits until the evaluation queue (asked through <paramref name="node"/>'s singleton proxy) knows evaluators on every
    /// one of <paramref name="evaluatorPorts"/>: a node that joined late (e.g. gated for 5 s after a refused connection)
    /// would otherwise miss a short search entirely.
    /// </summary>
    public Task WaitForEvaluatorNodesAsync(NodeProcess node, params int[] evaluatorPorts) =>
        Eventually(async () =>
        {
            var list = await _client.ActorSelection($"akka.tcp://nas@127.0.0.1:{node.Port}/user/{NasHosting.QueueSingletonName}-proxy")
                .Ask<EvaluatorInspection.EvaluatorList>(EvaluatorInspection.GetEvaluators.Instance, TimeSpan.FromSeconds(3));
            var missing = evaluatorPorts.Where(p => !list.Evaluators.Any(e => e.Node.EndsWith($":{p}", StringComparison.Ordinal))).ToArray();
            return missing.Length == 0 ? true : throw new InvalidOperationException($"no evaluators known yet on :{string.Join(", :", missing)}");
        }, TimeSpan.FromSeconds(120));

    /// <summary>Waits until the evaluation queue (through <paramref name="node"/>'s singleton proxy) holds no job, queued or handed out.</summary>
    public Task WaitForQueueIdleAsync(NodeProcess node) =>
        Eventually(async () =>
        {
            var stats = await _client.ActorSelection($"akka.tcp://nas@127.0.0.1:{node.Port}/user/{NasHosting.QueueSingletonName}-proxy")
                .Ask<EvaluationProtocol.QueueStats>(EvaluationProtocol.GetQueueStats.Instance, TimeSpan.FromSeconds(3));
            return stats is { Queued: 0, InFlight: 0 } ? true : throw new InvalidOperationException($"queue not idle yet: {stats}");
        }, TimeSpan.FromSeconds(120));

    /// <summary>
    /// Waits until <paramref name="node"/> sees exactly <paramref name="members"/> members, all up and reachable
    /// (`pbm cluster show` against its pbm host). A joining node may already take jobs before it is up, and the
    /// split-brain resolver counts only members that are up.
    /// </summary>
    public async Task WaitForMembersUpAsync(NodeProcess node, int members)
    {
        var pbm = await PbmCli.EndpointAsync(node);
        await Eventually(async () =>
        {
            var show = await PbmCli.RunAsync(pbm, "cluster", "show");
            var lines = show.Output.Split('\n').Where(l => l.StartsWith("akka.tcp://", StringComparison.Ordinal)).ToArray();
            return lines.Length == members && lines.All(l => l.Contains(" | up |  | ", StringComparison.Ordinal))
                ? true : throw new InvalidOperationException($"not yet {members} members up:\n{show}");
        }, TimeSpan.FromSeconds(120));
    }

    public async Task<T> Eventually<T>(Func<Task<T>> attempt, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try { return await attempt(); }
            catch (Exception) when (DateTime.UtcNow < deadline) { await Task.Delay(250); }
            catch (Exception e) { throw new TimeoutException($"{e.Message}\n{Outputs()}", e); }
        }
    }

    public string Outputs() => string.Join("\n", _nodes.Select(n => $"--- {n.Name} (:{n.Node.Port}) ---\n{n.Node.Output}"));

    /// <summary>The events of a search from the SQLite journal of a node folder, or from the PostgreSQL database.</summary>
    public Task<List<ISearchEvent>> ReadJournalAsync(string searchId, string? sqliteNode = null) =>
        Eventually(() => ReadJournalOnceAsync(searchId, sqliteNode), TimeSpan.FromSeconds(90)); // the reader's start may time out under load

    private Task<List<ISearchEvent>> ReadJournalOnceAsync(string searchId, string? sqliteNode) =>
        SearchJournal.ReadAsync(JournalConfig(sqliteNode), searchId);

    /// <summary>The persistence configuration of the PostgreSQL database, or of a node folder's SQLite files.</summary>
    public Akka.Configuration.Config JournalConfig(string? sqliteNode = null) => sqliteNode is null
        ? PostgresPersistence.Config(PostgresPersistence.ResolveConnectionString(Postgres!.ConnectionString,
            k => k == PostgresPersistence.PasswordVariable ? PostgresServer.Password : null))
        : SqlitePersistence.Config(Path.Combine(Root, sqliteNode, "data", "journal.db"), Path.Combine(Root, sqliteNode, "data", "snapshots.db"));

    /// <summary>Every proposed job recorded exactly once (none lost, none twice), the budget spent, the search completed.</summary>
    public static List<EvaluationRecorded> AssertNothingLostOrTwice(IReadOnlyList<ISearchEvent> events, int budget)
    {
        Assert.Empty(SearchJournal.Problems(events, budget));
        return events.OfType<EvaluationRecorded>().ToList();
    }

    public void Dispose()
    {
        foreach (var (_, node) in _nodes) node.Dispose();
        _output.WriteLine(Outputs());
        _client.Terminate().Wait(TimeSpan.FromSeconds(10));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
