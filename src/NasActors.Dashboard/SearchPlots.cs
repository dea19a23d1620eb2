using NasActors.Cluster.Searches;

namespace NasActors.Dashboard;

/// <summary>
/// The plots of a search's results (ScottPlot): accuracy against evaluations with the best so far, and accuracy
/// against MFLOPs with the Pareto front. Used by <c>nas export</c> / quickstart files and the dashboard's export links.
/// </summary>
public static class SearchPlots
{
    public const int Width = 900;
    public const int Height = 560;

    public static IReadOnlyList<string> Names { get; } = ["accuracy", "pareto"];

    public static ScottPlot.Plot Create(string name, SearchReplies.SearchResults r) => name switch
    {
        "accuracy" => Accuracy(r),
        "pareto" => Pareto(r),
        _ => throw new ArgumentException($"unknown plot '{name}' (known: {string.Join(", ", Names)})"),
    };

    public static ScottPlot.Plot Accuracy(SearchReplies.SearchResults r)
    {
        var ok = r.Evaluations.Where(e => !e.Failed).ToArray();
        var accuracy = new ScottPlot.Plot();
        var xs = ok.Select(e => (double)e.Order + 1).ToArray();
        accuracy.Add.ScatterPoints(xs, ok.Select(e => e.Accuracy).ToArray()).LegendText = "evaluation";
        var best = new List<double>();
        foreach (var e in ok) best.Add(Math.Max(best.Count == 0 ? double.MinValue : best[^1], e.Accuracy));
        return Finish(accuracy, accuracy.Add.ScatterLine(xs, best.ToArray()), "best so far",
            $"{r.Name} ({r.SearchId}): accuracy against evaluations", "evaluations");
    }

    public static ScottPlot.Plot Pareto(SearchReplies.SearchResults r)
    {
        var ok = r.Evaluations.Where(e => !e.Failed).ToArray();
        var pareto = new ScottPlot.Plot();
        pareto.Add.ScatterPoints(ok.Select(e => e.Flops / 1e6).ToArray(), ok.Select(e => e.Accuracy).ToArray()).LegendText = "evaluated";
        var front = SearchExport.ParetoFront(ok);
        return Finish(pareto, pareto.Add.ScatterLine(front.Select(e => e.Flops / 1e6).ToArray(), front.Select(e => e.Accuracy).ToArray()),
            "Pareto front", $"{r.Name}: accuracy against MFLOPs", "MFLOPs");
    }

    /// <summary>Both plots' finish: the highlighted line, the title, the axes (y: validation accuracy) and the legend.</summary>
    private static ScottPlot.Plot Finish(ScottPlot.Plot plot, ScottPlot.Plottables.Scatter line, string legend, string title, string xLabel)
    {
        line.LegendText = legend;
        line.LineWidth = 2;
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("validation accuracy (%)");
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot;
    }

    public static string Svg(string name, SearchReplies.SearchResults r) => Create(name, r).GetSvgXml(Width, Height);
}
