using NasActors.Core.Tabular;

namespace NasActors.Node.Commands.Bench;

/// <summary>The curve plot of <c>nas bench --plot</c>: mean best-so-far score against evaluations used, one line per controller.</summary>
internal static class BenchPlot
{
    public static void Save(string path, BenchmarkTable table, IReadOnlyList<BenchmarkReport> reports)
    {
        var plot = new ScottPlot.Plot();
        foreach (var r in reports)
        {
            var curve = r.Curve();
            var xs = curve.Select(p => (double)p.Evaluations).ToArray();
            var ys = curve.Select(p => p.Mean).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{r.Options.Controller} ({r.MeanScore:F2} ± {r.StdScore:F2})";
            line.LineWidth = 2;
        }
        var o = reports[0].Options;
        plot.Title($"{Path.GetFileName(table.Source)}: {o.Seeds} seeds, guided by {o.Signal}");
        plot.XLabel("evaluations used");
        plot.YLabel($"mean {o.Score} of best-by-{o.Signal} so far");
        // Start the y axis at the first curve point that is not the random start, so differences near the top show.
        var ymin = reports.SelectMany(r => r.Curve()).Where(p => p.Evaluations >= Math.Min(10, o.Budget)).Select(p => p.Mean).DefaultIfEmpty(0).Min();
        var ymax = reports.SelectMany(r => r.Curve()).Select(p => p.Mean).DefaultIfEmpty(1).Max();
        plot.Axes.SetLimitsY(ymin - 0.05 * (ymax - ymin + 1e-9), ymax + 0.05 * (ymax - ymin + 1e-9));
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 560);
    }
}
