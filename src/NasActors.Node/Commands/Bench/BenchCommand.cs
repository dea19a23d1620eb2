using System.Globalization;
using System.Text;
using System.Text.Json;
using NasActors.Core.Controllers;
using NasActors.Core.Tabular;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Bench;

/// <summary><c>nas bench</c>: runs controllers against a tabular benchmark for many seeds and reports the score of what they return.</summary>
public sealed class BenchCommand : Command<BenchSettings>
{
    public override int Execute(CommandContext context, BenchSettings settings, CancellationToken cancellationToken)
    {
        try
        {
            var table = BenchmarkTable.Read(settings.Table, settings.Space, settings.ArchColumn);
            var constraints = settings.Max.Select(CostConstraint.Parse).ToArray();
            var names = settings.Controller.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var reports = new List<BenchmarkReport>();
            foreach (var name in names)
            {
                var options = new BenchmarkOptions(name, settings.Signal, settings.Score ?? settings.Signal, settings.Budget, settings.Seeds,
                    SettingsFor(name, settings.Set, names.Length > 1), constraints, settings.FirstSeed);
                reports.Add(TabularBenchmark.Run(table, options, cancellationToken));
            }
            if (settings.Json) Console.Out.WriteLine(BenchOutput.Json(table, reports));
            else BenchOutput.Print(table, reports);
            if (settings.CurveOut is not null)
            {
                var csv = BenchOutput.CurveCsv(reports);
                if (settings.CurveOut == "-") Console.Out.Write(csv);
                else File.WriteAllText(settings.CurveOut, csv);
            }
            if (settings.Plot is not null) BenchPlot.Save(settings.Plot, table, reports);
            return 0;
        }
        // The table, its columns, the constraints and the controller settings are input: a fault there is bad input.
        catch (Exception e) when (e is FormatException or ArgumentException or KeyNotFoundException or UnsatisfiableConstraintsException)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>--set values for one controller: unprefixed ones, and 'name:key=value' ones for this name.</summary>
    private static Dictionary<string, string> SettingsFor(string controller, IEnumerable<string> sets, bool several)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in sets)
        {
            var eq = s.IndexOf('=');
            var key = s[..eq].Trim();
            var colon = key.IndexOf(':');
            if (colon >= 0)
            {
                if (!string.Equals(key[..colon], controller, StringComparison.OrdinalIgnoreCase)) continue;
                key = key[(colon + 1)..];
            }
            else if (several) throw new ArgumentException($"--set '{s}': with several controllers, name the one it is for (controller:key=value).");
            result[key] = s[(eq + 1)..].Trim();
        }
        return result;
    }
}

internal static class BenchOutput
{
    private static string F(double x, string f = "F3") => x.ToString(f, CultureInfo.InvariantCulture);

    public static void Print(BenchmarkTable table, IReadOnlyList<BenchmarkReport> reports)
    {
        // Redirected output (files, CI logs) gets 80 columns by default, which wraps controller names.
        if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 120);
        var o = reports[0].Options;
        AnsiConsole.MarkupLine(Markup.Escape(
            $"{table.Source}: {table.RowCount} architectures, space {table.Space.Name}; guided by {o.Signal}, scored by {o.Score}; " +
            $"budget {o.Budget} distinct evaluations, {o.Seeds} seeds from {o.FirstSeed}" +
            (o.Constraints is { Count: > 0 } c ? $"; constraints {string.Join(", ", c)}" : "")));
        var t = new Table().AddColumns("controller", $"mean {o.Score}", "std", "median", "evaluations", "seconds");
        foreach (var r in reports)
        {
            var sorted = r.Runs.Select(x => x.Score).Order().ToArray();
            t.AddRow(Markup.Escape(r.Options.Controller), F(r.MeanScore), F(r.StdScore), F(sorted[sorted.Length / 2]),
                F(r.MeanEvaluations, "F1"), F(r.Elapsed.TotalSeconds, "F2"));
        }
        AnsiConsole.Write(t);
    }

    public static string Json(BenchmarkTable table, IReadOnlyList<BenchmarkReport> reports) =>
        JsonSerializer.Serialize(new
        {
            table = table.Source,
            space = table.Space.Name,
            rows = table.RowCount,
            results = reports.Select(r => new
            {
                controller = r.Options.Controller,
                signal = r.Options.Signal,
                score = r.Options.Score,
                budget = r.Options.Budget,
                seeds = r.Options.Seeds,
                firstSeed = r.Options.FirstSeed,
                settings = r.Options.Settings,
                constraints = r.Options.Constraints?.Select(c => c.ToString()),
                mean = r.MeanScore,
                std = r.StdScore,
                meanEvaluations = r.MeanEvaluations,
                seconds = r.Elapsed.TotalSeconds,
                returned = r.Runs.Select(x => new { seed = x.Seed, architecture = table.Space.Format(x.Best), signal = x.BestSignal, score = x.Score }),
            }),
        }, new JsonSerializerOptions { WriteIndented = true });

    public static string CurveCsv(IReadOnlyList<BenchmarkReport> reports)
    {
        var sb = new StringBuilder("controller,evaluations,mean_score,std_score\n");
        foreach (var r in reports)
            foreach (var (k, mean, std) in r.Curve())
                sb.Append(CultureInfo.InvariantCulture, $"{r.Options.Controller},{k},{F(mean, "F4")},{F(std, "F4")}\n");
        return sb.ToString();
    }
}
