using System.ComponentModel;
using System.Text.Json;
using NasActors.Core.Spaces.Blocks;
using NasActors.Node.Commands.Input;
using NasActors.Torch.Latency;
using NasActors.Torch.Methods;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public sealed class LatencyTableSettings : EngineSettings
{
    [KnownSpace]
    [CommandOption("--space <SPACE>")]
    [Description("Block space: fmnist-mbconv, fmnist-shufflenet, fairnas-mbconv, spos-shufflenet.")]
    [DefaultValue("fmnist-mbconv")]
    public string Space { get; init; } = "fmnist-mbconv";

    [PathText(Output = OutputPath.File)]
    [CommandOption("-o|--out <FILE>")]
    [Description("The table's JSON file (what nas train --latency-table reads).")]
    [DefaultValue("runs/latency-table.json")]
    public string Out { get; init; } = "runs/latency-table.json";

    [AtLeastOne(100000)]
    [CommandOption("--repeats <N>")]
    [Description("Timed passes per block; the table holds their median.")]
    [DefaultValue(50)]
    public int Repeats { get; init; } = 50;

    [NonNegative]
    [CommandOption("--warmup <N>")]
    [Description("Untimed passes before the timed ones.")]
    [DefaultValue(10)]
    public int Warmup { get; init; } = 10;

    [RangeCheck(2, 10000)]
    [CommandOption("--check-architectures <N>")]
    [Description("Random architectures timed end to end for the additivity check (Spearman of the table's sum against them; passes at >= 0.9).")]
    [DefaultValue(24)]
    public int CheckArchitectures { get; init; } = 24;

    [NonNegative]
    [CommandOption("--seed <SEED>")]
    [Description("Seeds the additivity check's random architectures.")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;
}

/// <summary>
/// <c>nas latency-table</c>: measures a space's per-layer latency table on this node's device at batch 1, writes it
/// in the format <c>nas train --latency-table</c> reads, and checks that the table is additive (Spearman of the
/// table's sums against measured end-to-end latencies of random architectures).
/// </summary>
public sealed class LatencyTableCommand : Command<LatencyTableSettings>
{
    public override int Execute(CommandContext context, LatencyTableSettings settings, CancellationToken cancellation)
    {
        var runtime = settings.InitializeTorch();
        var space = BlockSpaces.Get(settings.Space);
        var measurement = new LatencyTableMeasurement(space, runtime.Device, settings.Repeats, settings.Warmup);
        var started = DateTime.UtcNow;
        var table = measurement.Measure();
        var check = measurement.CheckAdditivity(table, settings.CheckArchitectures, settings.Seed);
        var load = LoadAverage();
        LatencyLoss.WriteTable(settings.Out, table.Fixed, table.PerChoice, new Dictionary<string, object>
        {
            ["space"] = space.Name, ["device"] = runtime.Device.ToString(), ["batch"] = 1, ["repeats"] = settings.Repeats,
            ["warmup"] = settings.Warmup, ["measured"] = started.ToString("u"), ["machine"] = Environment.MachineName,
            ["loadAverage"] = load ?? "", ["additivitySpearman"] = check.Spearman,
        });
        // The written file must read back as the table it is (the one format of nas train --latency-table).
        LatencyLoss.ReadTable(settings.Out, space);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                table = settings.Out, space = space.Name, device = runtime.Device.ToString(), fixedMs = table.Fixed, layers = table.PerChoice,
                loadAverage = load,
                additivity = new
                {
                    spearman = check.Spearman, threshold = check.Threshold, passes = check.Passes,
                    architectures = check.Architectures.Select((a, i) => new { architecture = space.Format(a), tableMs = check.TableSums[i], measuredMs = check.Measured[i] }),
                },
            }, JsonOutput.Options));
            return 0;
        }
        var grid = new Table().AddColumn("layer");
        var widest = space.ChoiceCounts.Max();
        for (var c = 0; c < widest; c++) grid.AddColumn(new TableColumn($"choice {c}").RightAligned());
        for (var i = 0; i < table.PerChoice.Length; i++)
            grid.AddRow([new Text(i.ToString()), .. Enumerable.Range(0, widest).Select(c =>
                new Text(c < table.PerChoice[i].Length ? $"{space.ChoiceName(i, c)} {table.PerChoice[i][c]:F3}" : ""))]);
        AnsiConsole.Write(grid);
        AnsiConsole.MarkupLine($"Fixed part (stem + head): {table.Fixed:F3} ms; table range {table.Fixed + table.PerChoice.Sum(l => l.Min()):F2}-{table.Fixed + table.PerChoice.Sum(l => l.Max()):F2} ms " +
                               $"on {runtime.Device} at batch 1 (median of {settings.Repeats} after {settings.Warmup} warm-up; load average {Markup.Escape(load ?? "unknown")})");
        AnsiConsole.MarkupLine($"Additivity: Spearman {check.Spearman:F3} between the table's sum and the measured latency of {check.Architectures.Count} random architectures " +
                               (check.Passes ? $"[green]>= {check.Threshold} (passes)[/]" : $"[red]< {check.Threshold} (fails)[/]") +
                               $"; measured {check.Measured.Min():F2}-{check.Measured.Max():F2} ms, table {check.TableSums.Min():F2}-{check.TableSums.Max():F2} ms");
        AnsiConsole.MarkupLine($"Table written to [green]{Markup.Escape(settings.Out)}[/]");
        return 0;
    }

    /// <summary>The 1/5/15-minute load averages (Linux), recorded beside the table: a loaded machine's timings are noisier.</summary>
    public static string? LoadAverage()
    {
        try { return File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null; }
        catch (IOException) { return null; }
    }
}
