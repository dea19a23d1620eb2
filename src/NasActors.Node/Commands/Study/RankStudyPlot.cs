using NasActors.Core.Ranking;

namespace NasActors.Node.Commands.Study;

/// <summary>One scatter plot per method: supernet score (x) against stand-alone accuracy (y), tau and rho in the title.</summary>
internal static class RankStudyPlot
{
    public static IReadOnlyList<string> SaveAll(string folder, RankingReport report)
    {
        var files = new List<string>();
        foreach (var m in report.Methods)
        {
            var plot = new ScottPlot.Plot();
            var xs = report.Architectures.Select(a => a.SupernetAccuracy[m.Method] * 100).ToArray();
            var ys = report.Architectures.Select(a => a.StandaloneAccuracy * 100).ToArray();
            var points = plot.Add.ScatterPoints(xs, ys);
            points.MarkerSize = 9;
            for (var i = 0; i < xs.Length; i++)
            {
                var label = plot.Add.Text(report.Architectures[i].Architecture, xs[i], ys[i]);
                label.LabelFontSize = 9;
                label.OffsetX = 5;
            }
            plot.Title($"{m.Method}: Kendall tau {m.KendallTau.Estimate:F2} [{m.KendallTau.Lower:F2}, {m.KendallTau.Upper:F2}], " +
                       $"Spearman rho {m.Spearman.Estimate:F2} [{m.Spearman.Lower:F2}, {m.Spearman.Upper:F2}] ({report.Level:P0} CI)");
            plot.XLabel($"{m.Method} supernet validation accuracy (%), inherited weights + BN recalibration");
            plot.YLabel("stand-alone test accuracy (%)");
            var png = Path.Combine(folder, $"scatter-{m.Method}.png");
            var svg = Path.Combine(folder, $"scatter-{m.Method}.svg");
            plot.SavePng(png, 900, 640);
            plot.SaveSvg(svg, 900, 640);
            files.Add(png);
            files.Add(svg);
        }
        return files;
    }
}
