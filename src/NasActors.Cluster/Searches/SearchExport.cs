using System.Text.Json;
using System.Text.Json.Serialization;

namespace NasActors.Cluster.Searches;

/// <summary>The results of a search as a file: top-k, the Pareto front (accuracy up, FLOPs down) and every evaluation.</summary>
public static class SearchExport
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static object Document(SearchReplies.SearchResults r) => new
    {
        searchId = r.SearchId,
        name = r.Name,
        space = r.Space,
        status = r.Status,
        evaluations = r.Evaluations.Count,
        failed = r.Evaluations.Count(e => e.Failed),
        top = Top(r, r.TopKSize).Select(Entry),
        paretoFront = ParetoFront(r.Evaluations).Select(Entry),
        history = r.Evaluations.Select(Entry),
    };

    private static object Entry(RankedArchitecture e) => new
    {
        order = e.Order, jobId = e.JobId, architecture = e.Text, choices = e.Architecture,
        accuracy = e.Accuracy, loss = e.Loss, flops = e.Flops, @params = e.Params, failed = e.Failed, failure = e.FailureReason,
    };

    public static IReadOnlyList<RankedArchitecture> Top(SearchReplies.SearchResults r, int k) => r.Evaluations.Where(e => !e.Failed)
        .OrderByDescending(e => e.Accuracy).ThenBy(e => e.JobId).Take(k).ToArray();

    /// <summary>Non-dominated successful evaluations: no other is at least as accurate with at most the FLOPs, and better in one.</summary>
    public static IReadOnlyList<RankedArchitecture> ParetoFront(IEnumerable<RankedArchitecture> evaluations)
    {
        var ok = evaluations.Where(e => !e.Failed).ToArray();
        return ok.Where(a => !ok.Any(b => b.Accuracy >= a.Accuracy && b.Flops <= a.Flops && (b.Accuracy > a.Accuracy || b.Flops < a.Flops)))
            .OrderBy(e => e.Flops).ThenByDescending(e => e.Accuracy).ToArray();
    }

    public static string ToJson(SearchReplies.SearchResults r) => JsonSerializer.Serialize(Document(r), Options);

    public static void WriteJson(SearchReplies.SearchResults r, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson(r));
        File.Move(temp, path, overwrite: true);
    }
}
