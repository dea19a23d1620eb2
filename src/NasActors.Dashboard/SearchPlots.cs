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
        var line = accuracy.Add.ScatterLine(xs, best.ToArray());
        line.LegendText = "best so far";
        line.LineWidth = 2;
        accuracy.Title($"{r.Name} ({r.SearchId}): accuracy against evaluations");
        accuracy.XLabel("evaluations");
        accuracy.YLabel("validation accuracy (%)");
        accuracy.ShowLegend(ScottPlot.Alignment.LowerRight);
        return accuracy;
    }

    public static ScottPlot.Plot Pareto(SearchReplies.SearchResults r)
    {
        var ok = r.Evaluations.Where(e => !e.Failed).ToArray();
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
        return pareto;
    }

    public static string Svg(string name, SearchReplies.SearchResults r) => Create(name, r).GetSvgXml(Width, Height);
}
