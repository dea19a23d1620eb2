using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using Akka.Actor;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Local;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Node.Commands.Nodes;
using Npgsql;
using NasActors.Node.Commands.Input;
using Spectre.Console.Cli;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Node.Commands.Bench;

public sealed class BenchRecoverySettings : CommandSettings
{
    [AtLeastOne(100)]
    [CommandOption("--repetitions <N>")]
    [Description("Searches run, each through one database outage and one kill -9 of the population's host.")]
    [DefaultValue(3)]
    public int Repetitions { get; init; } = 3;

    [Positive]
    [CommandOption("--outage <SECONDS>")]
    [Description("How long PostgreSQL stays stopped in each repetition.")]
    [DefaultValue(18.0)]
    public double Outage { get; init; } = 18.0;

    [NonNegative]
    [CommandOption("--cost <MILLISECONDS>")]
    [Description("Time one stub evaluation takes.")]
    [DefaultValue(100)]
    public int Cost { get; init; } = 100;

    [AtLeastOne(100_000)]
    [CommandOption("--budget <N>")]
    [Description("Evaluations of each search (enough that it outlives both failures).")]
    [DefaultValue(240)]
    public int Budget { get; init; } = 240;

    [CommandOption("--production")]
    [Description("Run the nodes with base.conf's failure detector and split-brain resolver (20 s) instead of hocon/fast-failover.conf.")]
    public bool Production { get; init; }

    [PathText]
    [CommandOption("--logs <FOLDER>")]
    [Description("Write each node's output (INFO level, timestamped) to FOLDER/<node>-<n>.log, to see where the time goes.")]
    public string? Logs { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (Repetitions < 1) return Spectre.Console.ValidationResult.Error($"--repetitions must be at least 1, got {Repetitions}");
        if (Outage is <= 0 or > 600) return Spectre.Console.ValidationResult.Error($"--outage must be above 0 and at most 600 s, got {Outage}");
        if (Cost is < 0 or > 60_000) return Spectre.Console.ValidationResult.Error($"--cost must be 0 to 60000 ms, got {Cost}");
        if (Budget < 48) return Spectre.Console.ValidationResult.Error($"--budget must be at least 48, got {Budget}");
        return Spectre.Console.ValidationResult.Success();
    }
}

/// <summary>
/// <c>nas bench-recovery</c>: recovery times of a search on real node processes (this build's nas.dll) on loopback,
/// two controllers and an evaluator node sharing a throw-away PostgreSQL server. Each repetition runs a search,
/// stops PostgreSQL for <c>--outage</c> seconds and times database accepting connections again -> next recorded
/// evaluation (target &lt; 5 s), then kills the node hosting the population (kill -9) and times kill -> next recorded
/// evaluation (target &lt; 10 s), then lets the search complete and checks from the journal that every job was
/// recorded exactly once. Times come from the journal rows' write times, so polling adds nothing to them; nothing
/// asks the population anything while it is down (a question would wake it).
/// </summary>
public sealed class BenchRecoveryCommand : AsyncCommand<BenchRecoverySettings>
{
    private const double DatabaseTarget = 5, FailoverTarget = 10;

    public override async Task<int> ExecuteAsync(CommandContext context, BenchRecoverySettings s, CancellationToken cancel)
    {
        var nasDll = Assembly.GetEntryAssembly()!.Location;
        var root = Directory.CreateTempSubdirectory("nas-bench-recovery-").FullName;
        PostgresServer postgres;
        try { postgres = new PostgresServer(); }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            await Console.Error.WriteLineAsync($"nas: bench-recovery needs the PostgreSQL server binaries: {e.Message}");
            return 1;
        }
        var nodes = new Dictionary<string, NasProcess>();
        var ports = new Dictionary<string, int> { ["controller-1"] = NasProcess.FreePort(), ["controller-2"] = NasProcess.FreePort(), ["evaluator"] = NasProcess.FreePort() };
        var profile = s.Production ? "base.conf (production: failure detector 3 s, stable-after 20 s)" : "hocon/fast-failover.conf";
        Console.WriteLine($"bench-recovery: {s.Repetitions} repetition(s); PostgreSQL on loopback; controller-1, controller-2 (controller+trainer), " +
                          $"evaluator (3 evaluators); stub jobs of {s.Cost} ms, budget {s.Budget}; outage {s.Outage:F0} s; failover settings: {profile}");
        var reader = SearchJournal.Reader(PostgresPersistence.Config(ConnectionString(postgres)));
        try
        {
            foreach (var name in ports.Keys) nodes[name] = StartNode(nasDll, root, name, ports, postgres, s.Production);
            foreach (var node in nodes.Values) await node.WaitForOutputAsync("nas node up", TimeSpan.FromMinutes(3));
            var rows = new List<(double Database, double Failover, string Journal)>();
            Console.WriteLine($"{"rep",-4} {"db back -> recorded",-20} {"kill -9 -> recorded",-20} journal");
            for (var rep = 1; rep <= s.Repetitions; rep++)
            {
                var id = $"recovery-{rep}";
                var entry = nodes["controller-1"].HasExited ? ports["controller-2"] : ports["controller-1"];
                await using (var client = NasClient.Connect($"127.0.0.1:{entry}"))
                {
                    var accepted = await Retry(() => client.AskAsync(new SearchCommands.SubmitSearch(id, Spec(s)), TimeSpan.FromSeconds(5)), cancel);
                    if (accepted is not SearchReplies.SearchAccepted) throw new InvalidOperationException($"search {id} not accepted: {accepted}");
                }
                var seen = await WaitForJournal(reader, id, 0, es => es.Where(e => e.Event is EvaluationRecorded).Skip(9).FirstOrDefault(), cancel);

                // PostgreSQL down, then up: from the first connection it accepts to the next recorded evaluation.
                postgres.Stop();
                await Task.Delay(TimeSpan.FromSeconds(s.Outage), cancel);
                var starting = Task.Run(postgres.Start, cancel);
                var up = await FirstConnection(postgres, cancel);
                await starting;
                // Nothing is written while the database is down: the first evaluation written after it accepts connections.
                var afterOutage = await WaitForJournal(reader, id, seen.SequenceNr + 1,
                    es => es.FirstOrDefault(e => e.Event is EvaluationRecorded && e.TimestampTicks > up.Ticks), cancel);
                var database = Seconds(afterOutage.TimestampTicks - up.Ticks);

                // kill -9 of the node that hosts the population: to the first evaluation recorded after the kill.
                var location = await Locate(ports, nodes, id, cancel);
                var victim = nodes.Single(n => n.Value.Address == location);
                victim.Value.KillHard();
                var killed = DateTime.UtcNow;
                var afterKill = await WaitForJournal(reader, id, afterOutage.SequenceNr + 1,
                    es => es.FirstOrDefault(e => e.Event is EvaluationRecorded && e.TimestampTicks > killed.Ticks), cancel);
                var failover = Seconds(afterKill.TimestampTicks - killed.Ticks);

                var events = await WaitForJournal(reader, id, 0, es => es.Count > 0 && es[^1].Event is SearchCompleted ? es : null, cancel,
                    TimeSpan.FromMinutes(5));
                var problems = SearchJournal.Problems(events.Select(e => e.Event).ToList(), s.Budget);
                var journal = problems.Count == 0 ? $"ok: {s.Budget} jobs, each recorded once" : "FAULT: " + string.Join("; ", problems);
                rows.Add((database, failover, journal));
                Console.WriteLine($"{rep,-4} {database,-20:F2} {failover,-20:F2} {journal} (killed {victim.Key})");

                // The killed node comes back (same folder and port) so that every repetition starts from three members.
                victim.Value.Dispose();
                SaveLog(s.Logs, victim.Key, victim.Value);
                nodes[victim.Key] = StartNode(nasDll, root, victim.Key, ports, postgres, s.Production);
                await nodes[victim.Key].WaitForOutputAsync("nas node up", TimeSpan.FromMinutes(3));
            }
            Console.WriteLine(Summary("database accepting connections again -> next recorded evaluation", rows.Select(r => r.Database), DatabaseTarget));
            Console.WriteLine(Summary("kill -9 of the population's host -> next recorded evaluation", rows.Select(r => r.Failover), FailoverTarget));
            var faults = rows.Count(r => !r.Journal.StartsWith("ok", StringComparison.Ordinal));
            Console.WriteLine(faults == 0
                ? $"journal: in all {rows.Count} searches every proposed job was recorded exactly once (none lost, none twice)"
                : $"journal: {faults} of {rows.Count} searches lost a job or recorded one twice");
            return faults == 0 ? 0 : 1;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"nas: bench-recovery failed: {e.Message.Split('\n')[0]}");
            foreach (var (name, node) in nodes) await Console.Error.WriteLineAsync($"--- {name} ---\n{Tail(node.Output, 40)}");
            return 1;
        }
        finally
        {
            foreach (var (name, node) in nodes)
            {
                node.Dispose();
                SaveLog(s.Logs, name, node);
            }
            await reader.Terminate();
            postgres.Dispose();
            try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static NasProcess StartNode(string nasDll, string root, string name, Dictionary<string, int> ports, PostgresServer postgres, bool production)
    {
        var controller = name.StartsWith("controller", StringComparison.Ordinal);
        var env = new Dictionary<string, string>(postgres.NodeEnvironment)
        {
            // Every node lists both controllers as seed nodes (the first one first), as deploy/README.md advises.
            ["NAS_SEED_NODES"] = $"akka.tcp://nas@127.0.0.1:{ports["controller-1"]},akka.tcp://nas@127.0.0.1:{ports["controller-2"]}",
            ["NAS_ROLES"] = controller ? "controller,trainer" : "evaluator",
        };
        var args = new List<string> { "node", "--port", ports[name].ToString(), "--config", "persistence-postgres.conf" };
        if (!production) args.AddRange(["--config", "fast-failover.conf"]);
        foreach (var set in new[]
                 {
                     "nas.backend = stub", $"nas.evaluators = {(controller ? 0 : 3)}", "nas.pbm.port = 0", "nas.population.export-folder = \"\"",
                     "akka.loglevel = INFO",
                 })
            args.AddRange(["--set", set]);
        return new NasProcess(nasDll, Path.Combine(root, name), ports[name], env, args);
    }

    private static SearchSpec Spec(BenchRecoverySettings s) => SpecReader.ReadText($$"""
        search {
          name = bench-recovery
          space = fmnist-mbconv
          dataset = none
          seed = 3
          budget = {{s.Budget}}
          controller { name = random, settings { batch = 24 } }
          evaluation { kind = stub, stub-cost = {{s.Cost}}ms }
        }
        """);

    private static string ConnectionString(PostgresServer postgres) =>
        PostgresPersistence.ResolveConnectionString(postgres.ConnectionString, k => k == PostgresPersistence.PasswordVariable ? PostgresServer.Password : null);

    /// <summary>The moment the server accepts a connection again (a login that succeeds), polled every 20 ms.</summary>
    private static async Task<DateTime> FirstConnection(PostgresServer postgres, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString(postgres)) { Pooling = false, Timeout = 2 };
        while (true)
        {
            try
            {
                await using var c = new NpgsqlConnection(builder.ConnectionString);
                await c.OpenAsync(cancel);
                return DateTime.UtcNow;
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancel);
            }
        }
    }

    /// <summary>Reads the search's journal from <paramref name="from"/> every 100 ms until <paramref name="found"/> gives a value.</summary>
    private static async Task<T> WaitForJournal<T>(ActorSystem reader, string id, long from, Func<List<SearchJournal.Entry>, T?> found,
        CancellationToken cancel, TimeSpan? within = null) where T : class
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromMinutes(3));
        while (true)
        {
            try
            {
                var entries = await SearchJournal.ReadAsync(reader, id, from);
                if (found(entries) is { } value) return value;
            }
            catch (Exception e) when (e is not OperationCanceledException && DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow >= deadline) throw new TimeoutException($"search {id}: the journal did not show what was awaited within {within ?? TimeSpan.FromMinutes(3)}");
            await Task.Delay(100, cancel);
        }
    }

    /// <summary>Where the population lives, asked through a controller that is running.</summary>
    private static async Task<string> Locate(Dictionary<string, int> ports, Dictionary<string, NasProcess> nodes, string id, CancellationToken cancel)
    {
        var entry = nodes["controller-1"].HasExited ? ports["controller-2"] : ports["controller-1"];
        await using var client = NasClient.Connect($"127.0.0.1:{entry}");
        var reply = await Retry(() => client.AskAsync(new SearchQueries.GetSearchLocation(id), TimeSpan.FromSeconds(5)), cancel);
        return reply is SearchReplies.SearchLocation l ? l.Node : throw new InvalidOperationException($"search {id}: no location: {reply}");
    }

    private static async Task<object> Retry(Func<Task<object>> ask, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try { return await ask(); }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline) { await Task.Delay(250, cancel); }
        }
    }

    /// <summary>A difference of UTC ticks in seconds; the journal's row times are UTC ticks of the writing node (checked).</summary>
    private static double Seconds(long ticks)
    {
        var seconds = TimeSpan.FromTicks(ticks).TotalSeconds;
        return seconds is > -60 and < 3600 ? seconds
            : throw new InvalidOperationException($"the journal's row times are not UTC ticks of this machine's clock ({seconds:F0} s off)");
    }

    private static string Summary(string what, IEnumerable<double> seconds, double target)
    {
        var sorted = seconds.Order().ToArray();
        var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return $"{what}: median {median:F2} s (min {sorted[0]:F2}, max {sorted[^1]:F2}, n = {sorted.Length}), target < {target:F0} s: " +
               (sorted[^1] < target ? "met" : median < target ? "met by the median, not by every run" : "NOT met");
    }

    private static void SaveLog(string? folder, string name, NasProcess node)
    {
        if (folder is null) return;
        Directory.CreateDirectory(folder);
        var n = 1;
        while (File.Exists(Path.Combine(folder, $"{name}-{n}.log"))) n++;
        File.WriteAllText(Path.Combine(folder, $"{name}-{n}.log"), node.Output);
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));
}
