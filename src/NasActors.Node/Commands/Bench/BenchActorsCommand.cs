using System.ComponentModel;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using NasActors.Node.Commands.Nodes;
using NasActors.Node.Commands.Input;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Bench;

public sealed class BenchActorsSettings : CommandSettings
{
    [AtLeastOne(10000000)]
    [CommandOption("--throughput-evaluations <N>")]
    [Description("Zero-cost stub evaluations for the throughput run.")]
    [DefaultValue(2000)]
    public int ThroughputEvaluations { get; init; } = 2000;

    [AtLeastOne(10000000)]
    [CommandOption("--evaluations <N>")]
    [Description("Evaluations of the overhead run (at --cost each, on --evaluators actors).")]
    [DefaultValue(1000)]
    public int Evaluations { get; init; } = 1000;

    [RangeCheck(0, 3600)]
    [CommandOption("--cost <SECONDS>")]
    [DefaultValue(1.0)]
    public double Cost { get; init; } = 1.0;

    [ThreadCount(1)]
    [CommandOption("--evaluators <N>")]
    [DefaultValue(8)]
    public int Evaluators { get; init; } = 8;

    [AtLeastOne(10000000)]
    [CommandOption("--recovery-evaluations <N>")]
    [Description("Recorded evaluations of the search whose recovery is timed.")]
    [DefaultValue(10000)]
    public int RecoveryEvaluations { get; init; } = 10000;

    [CommandOption("--dashboard")]
    [Description("Run the overhead run twice, side by side: dashboard off, then on with a page open on the search (its event feed read, the search reloaded at most once a second, as the page does).")]
    public bool Dashboard { get; init; }

    [ListOf("throughput", "overhead", "recovery", EmptyAllowed = true)]
    [CommandOption("--skip <RUNS>")]
    [Description("Runs to skip: throughput, overhead, recovery (comma-separated).")]
    public string Skip { get; init; } = "";
}

/// <summary>
/// <c>nas bench-actors</c>: the cost of the actor + SQLite path with the stub evaluator. Throughput at zero cost;
/// total time of N evaluations of C seconds on E evaluators against the minimum ceil(N/E)*C; recovery time of a
/// search with many recorded evaluations (snapshots every 200 events, the node's default).
/// </summary>
public sealed class BenchActorsCommand : AsyncCommand<BenchActorsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BenchActorsSettings s, CancellationToken cancel)
    {
        var skip = s.Skip.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var root = Directory.CreateTempSubdirectory("nas-bench-actors-").FullName;
        try
        {
            if (!skip.Contains("throughput"))
            {
                var (elapsed, _) = await RunSearch(Path.Combine(root, "throughput"), s.ThroughputEvaluations, TimeSpan.Zero, s.Evaluators, keep: false, cancel);
                Console.WriteLine($"throughput: {s.ThroughputEvaluations} zero-cost evaluations in {elapsed.TotalSeconds:F2} s = {s.ThroughputEvaluations / elapsed.TotalSeconds:F0} evaluations/s (actors + SQLite journal, {s.Evaluators} evaluators)");
            }
            if (!skip.Contains("overhead"))
            {
                var cost = TimeSpan.FromSeconds(s.Cost);
                var minimum = Math.Ceiling(s.Evaluations / (double)s.Evaluators) * s.Cost;
                foreach (var dashboard in s.Dashboard ? new[] { false, true } : [false])
                {
                    var (elapsed, _) = await RunSearch(Path.Combine(root, dashboard ? "overhead-dashboard" : "overhead"), s.Evaluations, cost, s.Evaluators,
                        keep: false, cancel, dashboard);
                    var label = s.Dashboard ? dashboard ? " (dashboard on, page open)" : " (dashboard off)" : "";
                    Console.WriteLine($"overhead{label}: {s.Evaluations} evaluations of {s.Cost:F2} s on {s.Evaluators} evaluators in {elapsed.TotalSeconds:F1} s, minimum {minimum:F1} s: ratio {elapsed.TotalSeconds / minimum:F4} (overhead {(elapsed.TotalSeconds / minimum - 1) * 100:F2} %, target < 5 %)");
                }
            }
            if (!skip.Contains("recovery"))
            {
                var folder = Path.Combine(root, "recovery");
                var (elapsed, id) = await RunSearch(folder, s.RecoveryEvaluations, TimeSpan.Zero, s.Evaluators, keep: true, cancel);
                Console.WriteLine($"recovery: built a search of {s.RecoveryEvaluations} evaluations in {elapsed.TotalSeconds:F1} s");
                foreach (var snapshots in new[] { true, false })
                {
                    var t = await TimeRecovery(folder, id, snapshots);
                    Console.WriteLine($"recovery: {(snapshots ? "from snapshot + journal" : "from the journal alone")}: {t.TotalSeconds:F3} s (target < 2 s)");
                }
            }
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static SearchSpec Spec(int evaluations, TimeSpan cost)
    {
        // Random search in batches that are a multiple of the evaluator count, so no evaluator idles at a batch end.
        var batch = Math.Min(evaluations, 400);
        return SpecReader.ReadText($$"""
            search {
              name = bench
              space = fmnist-mbconv
              dataset = none
              seed = 1
              budget = {{evaluations}}
              controller { name = random, settings { batch = {{batch}} } }
              evaluation { kind = stub, stub-cost = {{(int)cost.TotalMilliseconds}}ms }
            }
            """);
    }

    private static async Task<(TimeSpan Elapsed, string Id)> RunSearch(string folder, int evaluations, TimeSpan cost, int evaluators,
        bool keep, CancellationToken cancel, bool dashboard = false)
    {
        Directory.CreateDirectory(folder);
        await using var node = await InProcessNode.StartAsync(folder, [],
        [
            "nas.backend = stub", "nas.port = 0", $"nas.evaluators = {evaluators}", "nas.job-timeout = 1h", "nas.pbm.port = 0",
            $"nas.dashboard.enabled = {(dashboard ? "on" : "off")}", "nas.dashboard.port = 0",
        ], cancel, exports: false);
        using var page = new CancellationTokenSource();
        var pageStats = new PageStats();
        const string id = "bench";
        var pageTask = dashboard ? OpenPage(node.Dashboard!, id, pageStats, page.Token) : Task.CompletedTask;
        try
        {
            var clock = Stopwatch.StartNew();
            var end = await node.RunSearchAsync(id, Spec(evaluations, cost), _ => { }, cancel);
            var elapsed = clock.Elapsed;
            if (end.Kind != SearchProgressKinds.Completed) throw new CommandFailedException($"the bench search ended {end.Status}: {end.Message}");
            if (pageTask.IsFaulted) await pageTask; // a page that failed measured nothing
            if (dashboard) Console.WriteLine($"dashboard page: {pageStats.Events} progress events read, the search loaded {pageStats.Loads} times");
            return (elapsed, id);
        }
        finally
        {
            await page.CancelAsync();
            try { await pageTask; } catch (OperationCanceledException) { }
        }
    }

    /// <summary>
    /// What an open dashboard page costs the node: it reads the event feed and, on the search's progress, reloads the
    /// search (every evaluation, top-k, curves) at most once a second.
    /// </summary>
    private sealed class PageStats
    {
        public int Events;
        public int Loads;
    }

    private static async Task OpenPage(Uri dashboard, string id, PageStats stats, CancellationToken cancel)
    {
        using var http = new HttpClient { BaseAddress = dashboard, Timeout = Timeout.InfiniteTimeSpan };
        await using var feed = await http.GetStreamAsync("api/events", cancel);
        using var reader = new StreamReader(feed);
        var lastLoad = DateTime.MinValue;
        Task load = Task.CompletedTask;
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (!line.StartsWith("event: progress", StringComparison.Ordinal)) continue;
            stats.Events++;
            if (!load.IsCompleted || DateTime.UtcNow - lastLoad < TimeSpan.FromSeconds(1)) continue;
            await load; // surfaces a failed load
            lastLoad = DateTime.UtcNow;
            load = http.GetStringAsync($"api/searches/{id}", cancel).ContinueWith(t =>
            {
                var body = t.Result; // rethrows a failed load
                if (body.Contains("\"evaluations\"", StringComparison.Ordinal)) Interlocked.Increment(ref stats.Loads);
            }, TaskScheduler.Default);
        }
    }

    /// <summary>Time from creating the population of a recorded search to its first answer (recovery + controller rebuild).</summary>
    private static async Task<TimeSpan> TimeRecovery(string folder, string id, bool snapshots)
    {
        var persistence = SqlitePersistence.Config(Path.Combine(folder, "journal.db"), Path.Combine(folder, "snapshots.db"));
        var config = ConfigurationFactory.ParseString(NasSerializer.Hocon + "\nakka.loglevel = WARNING\n").WithFallback(persistence);
        using var system = ActorSystem.Create("recovery", config);
        // Warm the plugins (connection pools, table checks) on another id, so the time is this search's recovery.
        var warm = system.ActorOf(SearchActor.Props("warm-up", ActorRefs.Nobody, new SearchActorSettings()));
        await warm.Ask<object>(new SearchQueries.GetSearchStatus("warm-up"), TimeSpan.FromSeconds(30));
        var settings = new SearchActorSettings { SnapshotEvery = 0, RecoverFromSnapshots = snapshots };
        var clock = Stopwatch.StartNew();
        var population = system.ActorOf(SearchActor.Props(id, ActorRefs.Nobody, settings));
        var status = await population.Ask<SearchReplies.SearchStatus>(new SearchQueries.GetSearchStatus(id), TimeSpan.FromSeconds(120));
        var elapsed = clock.Elapsed;
        if (status.Evaluated + status.Failed == 0) throw new InvalidOperationException("recovered an empty search");
        await system.Terminate();
        return elapsed;
    }
}
