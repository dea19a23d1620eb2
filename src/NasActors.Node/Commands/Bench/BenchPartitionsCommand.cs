using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using NasActors.Cluster.Local;
using NasActors.Node.Commands.Input;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Bench;

public sealed class BenchPartitionsSettings : CommandSettings
{
    [KnownScenario]
    [CommandOption("--scenario <NAME>")]
    [Description("Run only these scenarios (repeatable): majority-minority, queue-on-minority, even-split, flapping, database. Default: all.")]
    public string[] Scenarios { get; init; } = [];

    [RangeCheck(1, 20)]
    [CommandOption("--repetitions <N>")]
    [Description("Runs of each scenario.")]
    [DefaultValue(1)]
    public int Repetitions { get; init; } = 1;

    [PathText]
    [CommandOption("--pbm <PATH>")]
    [Description("The pbm client (pbm.dll) the benchmark watches membership with. Default: beside nas.dll, or the build tree's src/NasActors.Pbm output.")]
    public string? Pbm { get; init; }

    [CommandOption("--production")]
    [Description("Run the nodes with base.conf's failure detector and split-brain resolver (20 s) instead of hocon/fast-failover.conf.")]
    public bool Production { get; init; }

    public override Spectre.Console.ValidationResult Validate()
    {
        if (Repetitions is < 1 or > 20) return Spectre.Console.ValidationResult.Error($"--repetitions must be 1 to 20, got {Repetitions}");
        if (Scenarios.FirstOrDefault(s => !PartitionScenarios.All.Contains(s)) is { } bad)
            return Spectre.Console.ValidationResult.Error($"--scenario '{bad}' is not one of {string.Join(", ", PartitionScenarios.All)}");
        if (Pbm is not null && !File.Exists(Pbm)) return Spectre.Console.ValidationResult.Error($"--pbm {Pbm}: no such file");
        return Spectre.Console.ValidationResult.Success();
    }
}

/// <summary>The scenarios of <see cref="PartitionScenarios"/>.</summary>
public sealed class KnownScenarioAttribute() : OneOfAttribute
{
    protected override IReadOnlyList<string> Allowed => PartitionScenarios.All;
}

/// <summary>
/// <c>nas bench-partitions</c>: the partition scenarios of the integration tests (<see cref="PartitionScenarios"/>) on
/// real node processes of this build, each node in a Linux network namespace of its own and PostgreSQL in another
/// (root needed), with the times of each: cut -> first evaluation recorded after it, cut -> first evaluation recorded
/// by the population that carried the search on, the longest pause in recording, healing -> the cluster whole again
/// (every node sees every member up, none unreachable), healing -> next recorded evaluation; and the history checker's
/// verdict on the journal. Times are journal row times and process output times on one clock.
/// </summary>
public sealed class BenchPartitionsCommand : AsyncCommand<BenchPartitionsSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, BenchPartitionsSettings s, CancellationToken cancel)
    {
        var nasDll = Assembly.GetEntryAssembly()!.Location;
        var pbm = s.Pbm ?? FindPbm(nasDll);
        if (pbm is null)
        {
            await Console.Error.WriteLineAsync("nas: bench-partitions needs the pbm client: pass --pbm <path to pbm.dll> (built in src/NasActors.Pbm)");
            return 2;
        }
        try { PartitionNetwork.EnsureAvailable(); }
        catch (InvalidOperationException e)
        {
            await Console.Error.WriteLineAsync($"nas: bench-partitions: {e.Message}");
            return 1;
        }
        var scenarios = s.Scenarios.Length > 0 ? s.Scenarios : PartitionScenarios.All;
        var root = Directory.CreateTempSubdirectory("nas-bench-partitions-").FullName;
        var rows = new List<PartitionOutcome>();
        Console.WriteLine($"bench-partitions: {string.Join(", ", scenarios)}; {s.Repetitions} run(s) each; every node with every role, 2 stub evaluators " +
                          $"(1 s a job); failover settings: {(s.Production ? "base.conf (production)" : "hocon/fast-failover.conf")}");
        try
        {
            foreach (var scenario in scenarios)
            for (var rep = 1; rep <= s.Repetitions; rep++)
            {
                var options = new PartitionClusterOptions(nasDll, pbm, Path.Combine(root, $"{scenario}-{rep}"))
                {
                    FastFailover = !s.Production,
                    Log = line => Console.WriteLine(line.Length > 600 ? line[..600] + " ..." : line),
                };
                try { rows.Add(await PartitionScenarios.RunAsync(scenario, options)); }
                catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                {
                    await Console.Error.WriteLineAsync($"nas: bench-partitions: {scenario} failed: {e.Message.Split('\n')[0]}");
                    rows.Add(new PartitionOutcome(scenario, "failed") { Failures = { e.Message.Split('\n')[0] } });
                }
            }
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        Console.WriteLine();
        Console.WriteLine("| scenario | cut -> recorded | cut -> recorded by the population that carried on | longest pause | heal -> whole | heal -> recorded | downed | journal |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Scenario} | {F(r.CutToRecorded)} | {F(r.CutToCarriedOn)} | {F(r.LongestPause)} | {F(r.HealToWhole)} | {F(r.HealToRecorded)} | " +
                              $"{(r.Downed.Count == 0 ? "none" : string.Join(", ", r.Downed))} | " +
                              $"{(r.Passed ? "clean: none lost, none twice, one writer at a time" : "FAULT: " + string.Join("; ", r.Failures.Concat(r.Verdict?.Problems ?? []).Append(r.RefusedWrites > 0 ? $"{r.RefusedWrites} refused duplicate writes" : "").Where(x => x.Length > 0)))} |");
        var faults = rows.Count(r => !r.Passed);
        Console.WriteLine(faults == 0 ? $"all {rows.Count} runs: zero evaluations lost or recorded twice, zero overlapping writers" : $"{faults} of {rows.Count} runs FAILED");
        return faults == 0 ? 0 : 1;
    }

    private static string F(double seconds) => double.IsNaN(seconds) ? "-" : seconds.ToString("F2", CultureInfo.InvariantCulture) + " s";

    /// <summary>pbm.dll beside nas.dll (an install), or in the build tree (src/NasActors.Node/bin/C/tfm -> src/NasActors.Pbm/bin/C/tfm).</summary>
    private static string? FindPbm(string nasDll)
    {
        var folder = Path.GetDirectoryName(nasDll)!;
        var beside = Path.Combine(folder, "pbm.dll");
        if (File.Exists(beside)) return beside;
        var tfm = new DirectoryInfo(folder);
        var configuration = tfm.Parent;
        var tree = configuration?.Parent?.Parent?.Parent;
        if (tree is null || configuration is null) return null;
        var built = Path.Combine(tree.FullName, "NasActors.Pbm", "bin", configuration.Name, tfm.Name, "pbm.dll");
        return File.Exists(built) ? built : null;
    }
}
