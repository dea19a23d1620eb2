using NasActors.Cluster.Searches;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Ranking;

/// <summary>A study that cannot go on; the message says which part and why.</summary>
public sealed class RankStudyException(string message) : Exception(message);

/// <summary>A study asked to go on with other settings than it started with: bad input, nothing done.</summary>
public sealed class RankStudySettingsException(string message) : ArgumentException(message);

/// <summary>
/// Runs a <see cref="RankStudyPlan"/> through a node's search API (in process or over remoting): submits each part's
/// search (a repeated submit of the same spec is accepted again, so a study run twice resumes), waits for each to
/// complete while reporting progress, and collects the results. On one node the parts run one after another (they
/// would share the same cores); on a cluster they run at once, spread over the evaluator and trainer nodes.
/// </summary>
public sealed class RankStudyRunner(RankStudyPlan plan, Func<object, Task<object>> ask, Action<string, SearchStatus> progress)
{
    public async Task<IReadOnlyDictionary<string, SearchResults>> RunAsync(bool oneAtATime, TimeSpan poll, CancellationToken cancel)
    {
        if (oneAtATime)
            foreach (var part in RankStudyPlan.Parts)
            {
                await SubmitAsync(part);
                await AwaitDoneAsync(part, poll, cancel);
            }
        else
        {
            foreach (var part in RankStudyPlan.Parts) await SubmitAsync(part);
            await Task.WhenAll(RankStudyPlan.Parts.Select(p => AwaitDoneAsync(p, poll, cancel)));
        }
        var results = new Dictionary<string, SearchResults>();
        foreach (var part in RankStudyPlan.Parts)
            results[part] = await ask(new GetSearchResults(plan.SearchId(part))) as SearchResults
                ?? throw new RankStudyException($"Study part {part}: no results from search {plan.SearchId(part)}.");
        return results;
    }

    private async Task SubmitAsync(string part)
    {
        var id = plan.SearchId(part);
        switch (await ask(new SubmitSearch(id, plan.Spec(part))))
        {
            case SearchAccepted:
                return;
            case SearchRejected r:
                throw new RankStudySettingsException($"Study part {part} (search {id}) refused: {r.Reason}. A study resumes only with the " +
                                             "settings it started with; use another --name (or folder) for other settings.");
            case var other:
                throw new RankStudyException($"Study part {part} (search {id}): unexpected answer {other}.");
        }
    }

    private async Task AwaitDoneAsync(string part, TimeSpan poll, CancellationToken cancel)
    {
        var id = plan.SearchId(part);
        SearchStatus? last = null;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (await ask(new GetSearchStatus(id)) is not SearchStatus s)
                throw new RankStudyException($"Study part {part}: search {id} is not known to the cluster.");
            if (last is null || s.Evaluated != last.Evaluated || s.Failed != last.Failed || s.Status != last.Status
                || s.TrainingStep * 20 / Math.Max(1, s.TrainingSteps) != last.TrainingStep * 20 / Math.Max(1, last.TrainingSteps))
                progress(part, s);
            last = s;
            if (s.Status == SearchStatusNames.Completed) return;
            if (SearchStatusNames.IsFinal(s.Status))
                throw new RankStudyException($"Study part {part}: search {id} ended {s.Status}.");
            await Task.Delay(poll, cancel);
        }
    }
}
