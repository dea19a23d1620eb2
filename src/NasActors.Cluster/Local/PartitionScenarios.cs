using NasActors.Cluster.Persistence;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Local;

/// <summary>
/// What happened in one partition scenario: the times measured (seconds), what the cluster did, the history
/// checker's verdict on the whole journal, and the scenario's own expectations that did not hold (<see cref="Failures"/>).
/// </summary>
public sealed record PartitionOutcome(string Scenario, string Setup)
{
    /// <summary>Cut -> the first evaluation recorded after it (by any side).</summary>
    public double CutToRecorded { get; init; } = double.NaN;
    /// <summary>Cut -> the first evaluation recorded by the population that carried the search on (the writer after healing).</summary>
    public double CutToCarriedOn { get; init; } = double.NaN;
    /// <summary>The longest time without a recorded evaluation, from the cut to the end of the search.</summary>
    public double LongestPause { get; init; } = double.NaN;
    /// <summary>Healing -> every node sees every member up and none unreachable.</summary>
    public double HealToWhole { get; init; } = double.NaN;
    /// <summary>Healing -> the first evaluation recorded after it.</summary>
    public double HealToRecorded { get; init; } = double.NaN;
    public IReadOnlyList<string> Downed { get; init; } = [];
    /// <summary>Journal writes the database refused as a duplicate (event sequence number taken: a second writer tried).</summary>
    public int RefusedWrites { get; init; }
    public HistoryVerdict? Verdict { get; init; }
    public List<string> Notes { get; } = new();
    public List<string> Failures { get; } = new();
    public bool Passed => Failures.Count == 0 && Verdict is { Clean: true } && RefusedWrites == 0;
}

/// <summary>
/// The partition scenarios of issue 20, each on a fresh <see cref="PartitionCluster"/> (fast failover, every node with
/// every role, PostgreSQL in its own namespace) running an evolutionary stub search of a few hundred evaluations, each
/// checked afterwards against the journal (<see cref="SearchHistory"/>): the integration tests assert their outcome,
/// <c>nas bench-partitions</c> prints their times.
/// </summary>
public static class PartitionScenarios
{
    public const string MajorityMinority = "majority-minority";
    public const string QueueOnMinority = "queue-on-minority";
    public const string EvenSplit = "even-split";
    public const string Flapping = "flapping";
    public const string Database = "database";
    public static readonly string[] All = [MajorityMinority, QueueOnMinority, EvenSplit, Flapping, Database];

    /// <summary>How long a cut is held before healing (the minority is downed within about 4 s, and rejoining is tried meanwhile).</summary>
    public static TimeSpan Hold { get; set; } = TimeSpan.FromSeconds(12);
    /// <summary>Flapping: cut, healed, cut... for this long, each state this long.</summary>
    public static TimeSpan FlapFor { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Flapping: each cut lasts this long (about as long as the minority takes to be downed), then the link is up for <see cref="FlapUp"/>.</summary>
    public static TimeSpan FlapCut { get; set; } = TimeSpan.FromSeconds(4);
    public static TimeSpan FlapUp { get; set; } = TimeSpan.FromSeconds(2);

    private const int CostMs = 1000;
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(3);

    public static Task<PartitionOutcome> RunAsync(string scenario, PartitionClusterOptions options) => scenario switch
    {
        MajorityMinority => RunMajorityMinorityAsync(options),
        QueueOnMinority => RunQueueOnMinorityAsync(options),
        EvenSplit => RunEvenSplitAsync(options),
        Flapping => RunFlappingAsync(options),
        Database => RunDatabaseAsync(options),
        _ => throw new ArgumentException($"unknown partition scenario '{scenario}' (one of {string.Join(", ", All)})", nameof(scenario)),
    };

    private static string Spec(string name, int budget, int seed) => $$"""
        search {
          name = {{name}}
          space = fmnist-mbconv
          dataset = none
          seed = {{seed}}
          budget = {{budget}}
          top-k = 10
          controller { name = evolution, settings { population = 30, top_k = 8, mutation_children = 15, crossover_children = 8, generations = 100 } }
          evaluation { kind = stub, stub-cost = {{CostMs}}ms }
        }
        """;

    /// <summary>
    /// 3 | 2 with the population's host and the first seed node (n1) in the minority, the database reachable from both
    /// sides, held long enough for the downed minority to try rejoining while the cut lasts (the first seed node is the
    /// one that may form a cluster of its own).
    /// </summary>
    private static Task<PartitionOutcome> RunMajorityMinorityAsync(PartitionClusterOptions options) =>
        RunAsync(options with { Nodes = 5 }, MajorityMinority,
            $"5 nodes; cut 3 | 2 with the population's host and the first seed node in the minority for {2 * Hold.TotalSeconds:F0} s; database on both sides",
            budget: 360, async (c, id, o) =>
            {
                var host = await c.LocateAsync(id);
                var other = host != c.Nodes[0] ? c.Nodes[0] : c.Nodes[^1];
                var minority = new[] { host, other };
                var majority = c.Nodes.Except(minority).ToArray();
                o.Notes.Add($"population on {host}; minority {string.Join(", ", minority.AsEnumerable())}");
                var writers = Writers(await c.SearchRowsAsync(id));
                var cut = Cut(c, minority, majority.Select(n => n.Host));
                await ExpectDownedAsync(c, minority, cut, o);
                var carried = await c.WaitForJournalAsync(id, rows => rows.FirstOrDefault(r => r.Event is EvaluationRecorded && r.Created > cut.Ticks
                    && !writers.Contains(r.Writer!)), Long, "an evaluation recorded by a new incarnation of the population");
                o.Notes.Add($"recorded by a new incarnation {(carried.CreatedUtc - cut).TotalSeconds:F2} s after the cut");
                var moved = await c.LocateAsync(id, majority);
                if (!majority.Contains(moved)) o.Failures.Add($"the population runs on {moved}, not on the majority side");
                await HoldAsync(cut, 2);
                return (cut, Heal(c));
            });

    /// <summary>3 | 2 with the population, the job queue and busy evaluators in the minority, the database on the majority side only.</summary>
    private static Task<PartitionOutcome> RunQueueOnMinorityAsync(PartitionClusterOptions options) =>
        RunAsync(options with { Nodes = 5 }, QueueOnMinority,
            "5 nodes; cut 3 | 2 with the population, the job queue and busy evaluators in the minority; database on the majority side",
            budget: 420, async (c, id, o) =>
            {
                var host = await c.LocateAsync(id);
                var queue = await c.QueueHostAsync();
                var minority = queue != host ? new[] { host, queue } : [host, c.Nodes.Where(n => n != host).Last()];
                var majority = c.Nodes.Except(minority).ToArray();
                o.Notes.Add($"population on {host}, queue on {queue}; minority {string.Join(", ", minority.AsEnumerable())}");
                var writers = Writers(await c.SearchRowsAsync(id));
                var cut = Cut(c, minority, majority.Select(n => n.Host).Append(c.Database));
                // Asked of the queue itself (on the minority, through pbm beside it) once cut: jobs its evaluators hold
                // now cannot be recorded by the minority (no database), so each must be re-queued and recorded once.
                var held = (await c.EvaluatorsAsync(queue))
                    .Where(l => l.Contains(" | busy | ", StringComparison.Ordinal) && minority.Any(n => l.StartsWith(n.Address, StringComparison.Ordinal)))
                    .Select(l => l.Split(" | ")[^1].Split(' ')[0]).Where(k => k.StartsWith(id + "#", StringComparison.Ordinal))
                    .Select(k => int.Parse(k[(id.Length + 1)..])).ToArray();
                o.Notes.Add($"jobs held by minority evaluators after the cut: {string.Join(", ", held)}");
                if (held.Length == 0) o.Failures.Add("no minority evaluator held a job after the cut");
                await ExpectDownedAsync(c, minority, cut, o);
                await c.WaitForJournalAsync(id, rows => rows.FirstOrDefault(r => r.Event is EvaluationRecorded && r.Created > cut.Ticks
                    && !writers.Contains(r.Writer!)), Long, "an evaluation recorded by a new incarnation of the population");
                await HoldAsync(cut);
                var heal = Heal(c);
                return (cut, heal);
            },
            async (c, id, o, cut, heal, rows) =>
            {
                // The jobs the minority held were re-queued: recorded once (the checker), and after the cut (the
                // minority could not write), so by the majority's queue and evaluators.
                var held = o.Notes.Single(n => n.StartsWith("jobs held", StringComparison.Ordinal)).Split(": ")[1]
                    .Split(", ", StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
                foreach (var job in held)
                {
                    var records = rows.Where(r => r.Event is EvaluationRecorded e && e.JobId == job).ToArray();
                    if (records.Length != 1) o.Failures.Add($"job {job} (held by the minority after the cut) recorded {records.Length} times");
                    else if (records[0].Created <= cut.Ticks) o.Failures.Add($"job {job} (held by the minority after the cut) was recorded before it");
                }
                var minority = o.Downed;
                var afterHeal = rows.Where(r => r.Created > heal.Ticks).Select(r => r.Event).OfType<EvaluationRecorded>()
                    .Count(e => c.Nodes.Where(n => minority.Contains(n.Name)).Any(n => e.Evaluator.StartsWith(n.Host.Address + ":", StringComparison.Ordinal)));
                o.Notes.Add($"evaluations recorded after healing from the minority's evaluators (rejoined): {afterHeal}");
                if (afterHeal == 0) o.Failures.Add("no evaluation from the minority's nodes was recorded after healing");
                await Task.CompletedTask;
            });

    /// <summary>2 | 2, the population away from the first seed node when possible; the database on both sides.</summary>
    private static Task<PartitionOutcome> RunEvenSplitAsync(PartitionClusterOptions options) =>
        RunAsync(options with { Nodes = 4 }, EvenSplit, "4 nodes; cut 2 | 2 (n1 with one other | the rest, the population's host there when it is not n1); database on both sides",
            budget: 300, async (c, id, o) =>
            {
                var host = await c.LocateAsync(id);
                var first = c.Nodes[0];
                var side = new[] { first, c.Nodes.First(n => n != first && n != host) };
                var rest = c.Nodes.Except(side).ToArray();
                o.Notes.Add($"population on {host}; sides {string.Join(", ", side.AsEnumerable())} | {string.Join(", ", rest.AsEnumerable())}");
                var cut = Cut(c, side, rest.Select(n => n.Host));
                await HoldAsync(cut);
                return (cut, Heal(c));
            });

    /// <summary>3 | 2 (the population's host in the minority) cut and healed every few seconds; the database on both sides.</summary>
    private static Task<PartitionOutcome> RunFlappingAsync(PartitionClusterOptions options) =>
        RunAsync(options with { Nodes = 5 }, Flapping,
            $"5 nodes; 3 | 2 (population's host in the minority) cut for {FlapCut.TotalSeconds:F0} s and healed for {FlapUp.TotalSeconds:F0} s, again and again for {FlapFor.TotalSeconds:F0} s; database on both sides",
            budget: 400, async (c, id, o) =>
            {
                var host = await c.LocateAsync(id);
                var minority = new[] { host, c.Nodes.Where(n => n != host && n != c.Nodes[0]).Last() };
                var majority = c.Nodes.Except(minority).Select(n => n.Host).ToArray();
                o.Notes.Add($"population on {host}; minority {string.Join(", ", minority.AsEnumerable())}");
                var first = DateTime.MinValue;
                var heal = DateTime.MinValue;
                var cuts = 0;
                var end = DateTime.UtcNow + FlapFor;
                while (DateTime.UtcNow < end)
                {
                    var cut = Cut(c, minority, majority);
                    cuts++;
                    if (first == DateTime.MinValue) first = cut;
                    await Task.Delay(FlapCut);
                    heal = Heal(c);
                    await Task.Delay(FlapUp);
                }
                o.Notes.Add($"{cuts} cuts");
                return (first, heal);
            });

    /// <summary>Every node cut from the database (the cluster itself stays whole).</summary>
    private static Task<PartitionOutcome> RunDatabaseAsync(PartitionClusterOptions options) =>
        RunAsync(options with { Nodes = 3 }, Database, $"3 nodes; every node cut from the database for {Hold.TotalSeconds:F0} s", budget: 200,
            async (c, id, o) =>
            {
                var cut = Cut(c, c.Nodes, [c.Database]);
                await HoldAsync(cut);
                var heal = Heal(c);
                if (!c.Nodes.All(n => n.View!.WholeThroughout(cut, heal))) o.Failures.Add("a node lost a member while only the database was cut off");
                return (cut, heal);
            });

    // ---- the frame every scenario runs in ---------------------------------------------------------------------

    private delegate Task<(DateTime Cut, DateTime Heal)> Partition(PartitionCluster cluster, string id, PartitionOutcome outcome);

    private delegate Task Afterwards(PartitionCluster cluster, string id, PartitionOutcome outcome, DateTime cut, DateTime heal, IReadOnlyList<JournalRow> rows);

    private static async Task<PartitionOutcome> RunAsync(PartitionClusterOptions options, string scenario, string setup, int budget, Partition partition,
        Afterwards? afterwards = null)
    {
        var outcome = new PartitionOutcome(scenario, setup);
        options.Log($"[{scenario}] {setup}");
        await using var cluster = await PartitionCluster.StartAsync(options);
        try
        {
            var id = scenario;
            await cluster.SubmitAsync(cluster.Nodes[0], id, Spec(scenario, budget, seed: 20));
            await cluster.WaitForJournalAsync(id, rows => rows.Count(r => r.Event is EvaluationRecorded) >= 30 ? rows : null, Long, "30 evaluations");
            var (cut, heal) = await partition(cluster, id, outcome);
            options.Log($"[{scenario}] healed {(heal - cut).TotalSeconds:F1} s after the cut");
            var whole = await cluster.WaitWholeAsync(heal, Long);
            var rows = await cluster.WaitForJournalAsync(id, rs => rs.Count > 0 && rs[^1].Event is SearchCompleted ? rs : null, Long, "completion");
            var verdict = SearchHistory.Check(await cluster.JournalAsync());
            var downed = cluster.Nodes.Where(n => n.Process.Lines.Any(l => l.At >= cut && l.Line.Contains("removed from the cluster (downed)", StringComparison.Ordinal)))
                .Select(n => n.Name).ToArray();
            var refused = cluster.Nodes.Sum(n => n.Process.Lines.Count(l => l.Line.Contains("duplicate key value violates unique constraint", StringComparison.Ordinal)));
            var evaluations = rows.Where(r => r.Event is EvaluationRecorded).ToArray();
            var carriedBy = (evaluations.FirstOrDefault(r => r.Created > heal.Ticks) ?? rows[^1]).Writer;
            var result = outcome with
            {
                CutToRecorded = Seconds(evaluations.FirstOrDefault(r => r.Created > cut.Ticks), cut),
                CutToCarriedOn = Seconds(evaluations.FirstOrDefault(r => r.Created > cut.Ticks && r.Writer == carriedBy), cut),
                HealToRecorded = Seconds(evaluations.FirstOrDefault(r => r.Created > heal.Ticks), heal),
                LongestPause = evaluations.Where(r => r.Created > cut.Ticks).Select(r => r.CreatedUtc).Prepend(cut)
                    .Zip(evaluations.Where(r => r.Created > cut.Ticks).Select(r => r.CreatedUtc), (a, b) => (b - a).TotalSeconds).DefaultIfEmpty(double.NaN).Max(),
                HealToWhole = (whole - heal).TotalSeconds,
                Downed = downed,
                RefusedWrites = refused,
                Verdict = verdict,
            };
            if (afterwards is not null) await afterwards(cluster, id, result, cut, heal, rows);
            var pid = Searches.SearchActor.PersistenceIdOf(id);
            var runs = verdict.PersistenceIds.Single(p => p.PersistenceId == pid).Runs;
            result.Notes.Add($"writers of {pid}: " + string.Join(" -> ", runs.Select(r => $"#{r.FromSequenceNr}-#{r.ToSequenceNr}")));
            options.Log($"[{scenario}] {(result.Passed ? "passed" : "FAILED")}: cut -> recorded {result.CutToRecorded:F2} s, cut -> recorded by the population " +
                        $"that carried on {result.CutToCarriedOn:F2} s, longest pause {result.LongestPause:F2} s, heal -> whole {result.HealToWhole:F2} s, heal -> recorded {result.HealToRecorded:F2} s; " +
                        $"downed: {(downed.Length == 0 ? "none" : string.Join(", ", downed))}; refused duplicate writes: {refused}; journal: {verdict}; " +
                        string.Join("; ", result.Notes.Concat(result.Failures.Select(f => "FAILED: " + f))));
            foreach (var line in Story(cluster, cut)) options.Log($"[{scenario}]   {line}");
            if (!result.Passed) options.Log(cluster.Outputs());
            return result;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            options.Log($"[{scenario}] FAILED: {e.Message}\n{cluster.Outputs()}");
            throw;
        }
    }

    private static readonly string[] Milestones =
    [
        "SBR took decision", "removed from the cluster", "JOINING itself", "rejoining", "as the first seed node", "nas node up", "Marking node(s) as UNREACHABLE",
        "duplicate key value", "could not be recovered", "The journal answers again", "journal write of",
    ];

    /// <summary>What the nodes said about membership from the cut on, in time order, seconds after the cut.</summary>
    private static IEnumerable<string> Story(PartitionCluster c, DateTime cut) => c.Nodes
        .SelectMany(n => n.Process.Lines.Where(l => l.At >= cut && Milestones.Any(m => l.Line.Contains(m, StringComparison.Ordinal)))
            .Select(l => (l.At, Text: $"{(l.At - cut).TotalSeconds,6:F2} s {n.Name}: {Trim(l.Line)}")))
        .OrderBy(x => x.At).Select(x => x.Text);

    private static string Trim(string line)
    {
        var start = line.IndexOf("] ", line.IndexOf("][Thread", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
        var text = line.StartsWith('[') && start > 0 ? line[(start + 2)..] : line;
        return text.Length > 200 ? text[..200] + "..." : text;
    }

    private static HashSet<string> Writers(IEnumerable<JournalRow> rows) => rows.Select(r => r.Writer ?? "?").ToHashSet();

    private static DateTime Cut(PartitionCluster c, IEnumerable<PartitionCluster.Node> side, IEnumerable<PartitionNetwork.Host> other)
    {
        c.Network.Cut(side.Select(n => n.Host), other);
        return DateTime.UtcNow;
    }

    private static DateTime Heal(PartitionCluster c)
    {
        c.Network.Heal();
        return DateTime.UtcNow;
    }

    private static async Task HoldAsync(DateTime cut, int times = 1)
    {
        var left = cut + times * Hold - DateTime.UtcNow;
        if (left > TimeSpan.Zero) await Task.Delay(left);
    }

    /// <summary>Every node of <paramref name="side"/> says it was downed (the split-brain resolver on its side), within a minute.</summary>
    private static async Task ExpectDownedAsync(PartitionCluster c, IEnumerable<PartitionCluster.Node> side, DateTime after, PartitionOutcome o)
    {
        foreach (var n in side)
        {
            try { await n.Process.WaitForOutputAsync("removed from the cluster (downed)", TimeSpan.FromSeconds(60), after); }
            catch (TimeoutException) { o.Failures.Add($"{n} was not downed within 60 s of the cut"); }
        }
    }

    private static double Seconds(JournalRow? row, DateTime from) => row is null ? double.NaN : (row.CreatedUtc - from).TotalSeconds;
}
