using System.Globalization;
using Akka.Actor;
using Akka.Hosting;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Pbm.Protocol;
using NasActors.Pbm.Host;
using static NasActors.Pbm.Host.Palettes.PaletteSupport;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// The <c>nas</c> palette: searches, their progress and results, pause/resume/cancel, evaluators and trainers. It
/// talks to the node's <see cref="SearchApi"/> (<c>/user/nas-api</c>), which reaches the search wherever it runs, and
/// to the evaluation queue of every member.
/// </summary>
public static class NasPalette
{
    private static readonly ArgumentDefinition Search = CommandPalette.Switch("search", "s", "the search id (see nas searches)", mandatory: true);

    public static CommandPalette Create() => new CommandPalette("nas", "neural architecture searches")
        .Command("searches", "every search: id | name | status | controller on space | evaluated/budget | best", Searches)
        .Command("show", "one search: phase, evaluations done/budget, best so far, supernet step and loss", Show, Search)
        .Command("top", "the best K architectures of a search", Top, Search,
            CommandPalette.Switch("k", "k", "how many (1-1000)", defaultValue: "10"))
        .Command("pareto", "the Pareto front of a search (accuracy up, FLOPs down)", Pareto, Search)
        .Command("pause", "pause a search (its queued jobs are withdrawn)", (r, o, c) => Control(r, o, c, id => new SearchCommands.PauseSearch(id)), Search)
        .Command("resume", "resume a paused search", (r, o, c) => Control(r, o, c, id => new SearchCommands.ResumeSearch(id)), Search)
        .Command("cancel", "cancel a search", (r, o, c) => Control(r, o, c, id => new SearchCommands.CancelSearch(id, r.Get("reason") ?? "cancelled")), Search,
            CommandPalette.Switch("reason", "r", "why (kept in the journal)", defaultValue: "cancelled from pbm"))
        .Command("evaluators", "per evaluator: node | name | busy or idle | jobs done | current job", Evaluators)
        .Command("trainers", "per supernet trainer: search | node | step/steps | loss | checkpoint", Trainers)
        .Stream("tail", "a search's results as they are recorded, until it ends or Ctrl+C", Tail, Search,
            CommandPalette.Switch("interval", "i", "poll interval in milliseconds", defaultValue: "250"));

    /// <summary>Registers the palette with the node's command host once the node's actors have started.</summary>
    public static AkkaConfigurationBuilder AddNasPalette(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, _) => CommandHost.Get(system).Register(Create()));

    /// <summary>A node's own actor, through the registry (a node that has not registered it answers as one that does not reply).</summary>
    private static IActorRef Local<TKey>(CommandRequest r, string what) =>
        ActorRegistry.For(r.System).TryGet<TKey>(out var actor) ? actor : throw new CommandFailedException($"{what} is not running on this node");

    private static IActorRef Api(CommandRequest r) => Local<SearchApiKey>(r, "the node's search API (/user/nas-api)");

    private static Task<object> AskApi(CommandRequest r, object message, CancellationToken cancel) =>
        AskAsync(Api(r), message, "the node's search API (/user/nas-api)", cancel);

    private static T Expect<T>(object answer) => answer switch
    {
        T t => t,
        SearchReplies.NoSuchSearch n => throw new CommandFailedException(n.ToString()),
        SearchReplies.PersistenceFailed p => throw new CommandFailedException($"search {p.SearchId}: {p.Reason}"),
        Status.Failure f => throw new CommandFailedException(f.Cause.Message),
        _ => throw new CommandFailedException($"unexpected answer: {answer}"),
    };

    private static async Task<IReadOnlyList<SearchSummary>> ListAsync(CommandRequest r, CancellationToken cancel) =>
        Expect<CatalogProtocol.SearchList>(await AskApi(r, CatalogProtocol.ListSearches.Instance, cancel)).Searches;

    private static async Task Searches(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var list = await ListAsync(r, cancel);
        foreach (var s in list)
            await output.WriteLineAsync($"{s.SearchId} | {s.Name} | {s.Status} | {s.Controller} on {s.Space} | {s.Evaluated}/{s.Budget} | " +
                                        (s.BestAccuracy is { } b ? $"best {s.BestArchitecture} {F(b)}" : "best -"));
        await output.WriteLineAsync($"Count: {list.Count} searches");
    }

    private static async Task Show(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var id = r.Required("search");
        var s = Expect<SearchReplies.SearchStatus>(await AskApi(r, new SearchQueries.GetSearchStatus(id), cancel));
        var t = Expect<SearchInspection.SupernetState>(await AskApi(r, new SearchInspection.GetSupernetState(id), cancel));
        await output.WriteLineAsync($"search: {s.SearchId} ({s.Name})");
        await output.WriteLineAsync($"phase: {s.Status}");
        await output.WriteLineAsync($"controller: {s.Controller} on {s.Space}");
        await output.WriteLineAsync($"evaluations: {s.Evaluated + s.Failed}/{s.Budget} (failed {s.Failed}, pending {s.Pending}, generations {s.Generations})");
        await output.WriteLineAsync(s.BestAccuracy is { } b ? $"best: {s.BestArchitecture} {F(b)}" : "best: -");
        await output.WriteLineAsync(t.Steps == 0
            ? "supernet: none (this search does not train one)"
            : $"supernet: step {t.Step}/{t.Steps}, loss {(t.Loss is { } l ? F(l, "F4") : "-")}, checkpoint {Short(t.Checkpoint)}{(t.Ready ? " (final)" : "")}");
        await output.WriteLineAsync($"node: {t.Node}");
    }

    private static async Task Top(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var top = Expect<SearchReplies.TopK>(await AskApi(r, new SearchQueries.GetTopK(r.Required("search"), r.Int("k", 1, 1000)), cancel));
        var rank = 0;
        foreach (var e in top.Entries) await output.WriteLineAsync($"#{++rank} | {Entry(e)}");
        await output.WriteLineAsync($"Count: {top.Entries.Count} architectures");
    }

    private static async Task Pareto(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var results = Expect<SearchReplies.SearchResults>(await AskApi(r, new SearchQueries.GetSearchResults(r.Required("search")), cancel));
        var front = SearchExport.ParetoFront(results.Evaluations);
        foreach (var e in front) await output.WriteLineAsync(Entry(e));
        await output.WriteLineAsync($"Count: {front.Count} architectures on the front");
    }

    private static async Task Control(CommandRequest r, ICommandOutput output, CancellationToken cancel, Func<string, object> command)
    {
        var done = Expect<SearchReplies.CommandDone>(await AskApi(r, command(r.Required("search")), cancel));
        await output.WriteLineAsync(done.Message);
    }

    private static async Task Evaluators(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        // One queue per cluster (a singleton on the controller role) knows every evaluator; ask it through this node's proxy.
        var answers = new EvaluatorInspection.EvaluatorList?[1];
        try
        {
            answers[0] = await Local<EvaluationQueueKey>(r, "the evaluation queue proxy").Ask<EvaluatorInspection.EvaluatorList>(
                EvaluatorInspection.GetEvaluators.Instance, TimeSpan.FromSeconds(5), cancel);
        }
        catch (AskTimeoutException) { } // no queue reachable (no controller up yet): nothing to show
        var all = answers.Where(a => a is not null).SelectMany(a => a!.Evaluators).OrderBy(e => e.Node, StringComparer.Ordinal)
            .ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();
        foreach (var e in all)
            await output.WriteLineAsync($"{e.Node} | {e.Name} | {(e.Busy ? "busy" : "idle")} | jobs done: {e.JobsDone} | {(e.CurrentJob is null ? "-" : e.CurrentJob)}");
        await output.WriteLineAsync($"Count: {all.Length} evaluators");
    }

    private static async Task Trainers(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var count = 0;
        foreach (var s in (await ListAsync(r, cancel)).Where(s => !SearchStatusNames.IsFinal(s.Status)))
        {
            if (await AskApi(r, new SearchInspection.GetSupernetState(s.SearchId), cancel) is not SearchInspection.SupernetState t || t.Steps == 0)
                continue;
            count++;
            await output.WriteLineAsync($"{t.SearchId} | {t.Node} | {t.TrainerState()} | " +
                                        $"step {t.Step}/{t.Steps} | loss {(t.Loss is { } l ? F(l, "F4") : "-")} | checkpoint {Short(t.Checkpoint)}");
        }
        await output.WriteLineAsync($"Count: {count} trainers");
    }

    /// <summary>Polls the search (wherever it runs) and writes each newly recorded evaluation and each status change.</summary>
    private static async Task Tail(CommandRequest r, ICommandOutput output, CancellationToken cancel)
    {
        var id = r.Required("search");
        var interval = TimeSpan.FromMilliseconds(r.Int("interval", 10, 60_000));
        var seen = 0;
        string? status = null;
        while (true)
        {
            var results = Expect<SearchReplies.SearchResults>(await AskApi(r, new SearchQueries.GetSearchResults(id), cancel));
            foreach (var e in results.Evaluations.Skip(seen).ToArray()) await output.WriteLineAsync($"#{++seen} | {Entry(e)}");
            if (results.Status != status)
            {
                status = results.Status;
                await output.WriteLineAsync($"status: {status}");
            }
            if (SearchStatusNames.IsFinal(status)) return;
            await Task.Delay(interval, cancel);
        }
    }

    private static string Entry(RankedArchitecture e) => e.Failed
        ? $"job {e.JobId} | {e.Text} | failed: {e.FailureReason}"
        : $"job {e.JobId} | {e.Text} | accuracy {F(e.Accuracy)} | MFLOPs {F(e.Flops / 1e6, "F3")} | params {F(e.Params / 1e3, "F1")}k";

    private static string F(double v, string format = "F2") => v.ToString(format, CultureInfo.InvariantCulture);

    private static string Short(string? sha) => sha is null ? "-" : sha.Length > 12 ? sha[..12] : sha;
}
