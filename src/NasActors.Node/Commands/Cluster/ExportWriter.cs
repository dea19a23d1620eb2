using NasActors.Cluster.Population;

namespace NasActors.Node.Commands.Cluster;

/// <summary>Writes a search's results: JSON, accuracy against evaluations, and the Pareto front (accuracy vs FLOPs).</summary>
public static class ExportWriter
{
    public static IReadOnlyList<string> Write(SearchReplies.SearchResults r, string folder, string format = "svg")
    {
        if (format is not ("svg" or "png")) throw new ArgumentException($"--format must be svg or png, got '{format}'.");
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "results.json");
        SearchExport.WriteJson(r, json);
        var ok = r.Evaluations.Where(e => !e.Failed).ToArray();

        var accuracy = new ScottPlot.Plot();
        var xs = ok.Select(e => (double)e.Order + 1).ToArray();
        accuracy.Add.ScatterPoints(xs, ok.Select(e => e.Accuracy).ToArray()).LegendText = "evaluation";
        var best = new List<double>();
        foreach (var e in ok) best.Add(Math.Max(best.Count == 0 ? double.MinValue : best[^1], e.Accuracy));
        var line = accuracy.Add.ScatterLine(xs, best.ToArray());
        line.LegendText = "best so far";
        line.LineWidth = 2;
        accuracy.Title($"{r.Name} ({r.SearchId}): accuracy against evaluations");
        accuracy.XLabel("evaluations");
        accuracy.YLabel("validation accuracy (%)");
        accuracy.ShowLegend(ScottPlot.Alignment.LowerRight);

        var pareto = new ScottPlot.Plot();
        pareto.Add.ScatterPoints(ok.Select(e => e.Flops / 1e6).ToArray(), ok.Select(e => e.Accuracy).ToArray()).LegendText = "evaluated";
        var front = SearchExport.ParetoFront(ok);
        var f = pareto.Add.ScatterLine(front.Select(e => e.Flops / 1e6).ToArray(), front.Select(e => e.Accuracy).ToArray());
        f.LegendText = "Pareto front";
        f.LineWidth = 2;
        pareto.Title($"{r.Name}: accuracy against MFLOPs");
        pareto.XLabel("MFLOPs");
        pareto.YLabel("validation accuracy (%)");
        pareto.ShowLegend(ScottPlot.Alignment.LowerRight);

        var files = new List<string> { json };
        foreach (var (plot, name) in new[] { (accuracy, "accuracy"), (pareto, "pareto") })
        {
            var path = Path.Combine(folder, $"{name}.{format}");
            if (format == "svg") plot.SaveSvg(path, 900, 560); else plot.SavePng(path, 900, 560);
            files.Add(path);
        }
        return files;
    }
}
