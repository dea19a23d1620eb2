using NasActors.Cluster.Searches;
using NasActors.Dashboard;

namespace NasActors.Node.Commands.Nodes;

/// <summary>Writes a search's results: JSON, accuracy against evaluations, and the Pareto front (accuracy vs FLOPs).</summary>
public static class ExportWriter
{
    public static IReadOnlyList<string> Write(SearchReplies.SearchResults r, string folder, string format = "svg")
    {
        if (format is not ("svg" or "png")) throw new ArgumentException($"--format must be svg or png, got '{format}'.");
        Directory.CreateDirectory(folder);
        var json = Path.Combine(folder, "results.json");
        SearchExport.WriteJson(r, json);
        var files = new List<string> { json };
        foreach (var name in SearchPlots.Names)
        {
            var plot = SearchPlots.Create(name, r);
            var path = Path.Combine(folder, $"{name}.{format}");
            if (format == "svg") plot.SaveSvg(path, SearchPlots.Width, SearchPlots.Height); else plot.SavePng(path, SearchPlots.Width, SearchPlots.Height);
            files.Add(path);
        }
        return files;
    }
}
