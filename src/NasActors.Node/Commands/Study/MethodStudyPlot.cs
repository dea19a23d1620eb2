using NasActors.Core.Ranking;

namespace NasActors.Node.Commands.Study;

/// <summary>One scatter plot per method that ranked (its score against the reference mean), and one bar chart of the table's taus.</summary>
internal static class MethodStudyPlot
{
    public static IReadOnlyList<string> SaveAll(string folder, MethodStudyReport report)
    {
        var files = new List<string>();
        foreach (var r in report.Rows.Where(r => r.KendallTau is not null))
        {
            var plot = new ScottPlot.Plot();
            var ranked = report.Reference.Where(a => r.Outcome.Scores.ContainsKey(a.Architecture)).ToArray();
            var xs = ranked.Select(a => r.Outcome.Scores[a.Architecture] * 100).ToArray();
            var ys = ranked.Select(a => a.Mean * 100).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys);
            points.MarkerSize = 9;
            for (var i = 0; i < xs.Length; i++)
            {
                var label = plot.Add.Text(ranked[i].Architecture, xs[i], ys[i]);
                label.LabelFontSize = 9;
                label.OffsetX = 5;
            }
            var t = r.KendallTau!;
            plot.Title($"{r.Method}: Kendall tau {t.Estimate:F2} [{t.Lower:F2}, {t.Upper:F2}], rho {r.Spearman!.Estimate:F2} " +
                       $"({report.Level * 100:F0}% CI); reference seed-half tau {report.SeedHalves.Mean:F2}");
            plot.XLabel($"{r.Method} supernet validation accuracy (%)");
            plot.YLabel("stand-alone test accuracy, mean of seeds (%)");
            files.AddRange(Save(plot, folder, $"scatter-{r.Method}"));
        }

        var bars = new ScottPlot.Plot();
        var rows = report.Rows.ToArray();
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i].KendallTau is not { } tau) continue;
            var bar = bars.Add.Bar(new ScottPlot.Bar
            {
                Position = i, Value = tau.Estimate, Error = 0, FillColor = ScottPlot.Colors.SteelBlue,
            });
            var whisker = bars.Add.Line(i, tau.Lower, i, tau.Upper);
            whisker.LineWidth = 2;
            whisker.Color = ScottPlot.Colors.Black;
        }
        var reference = bars.Add.HorizontalLine(report.SeedHalves.Mean);
        reference.LegendText = $"reference seed-half tau {report.SeedHalves.Mean:F2}";
        reference.LinePattern = ScottPlot.LinePattern.Dashed;
        bars.Axes.Bottom.SetTicks(Enumerable.Range(0, rows.Length).Select(i => (double)i).ToArray(),
            rows.Select(r => r.Failed ? $"{r.Method} (failed)" : r.Method).ToArray());
        bars.Title($"Kendall tau against the stand-alone reference ({report.Level * 100:F0}% bootstrap CI)");
        bars.YLabel("Kendall tau-b");
        bars.ShowLegend();
        files.AddRange(Save(bars, folder, "bars-tau"));
        return files;
    }

    private static IEnumerable<string> Save(ScottPlot.Plot plot, string folder, string name)
    {
        var png = Path.Combine(folder, name + ".png");
        var svg = Path.Combine(folder, name + ".svg");
        plot.SavePng(png, 900, 640);
        plot.SaveSvg(svg, 900, 640);
        return [png, svg];
    }
}
