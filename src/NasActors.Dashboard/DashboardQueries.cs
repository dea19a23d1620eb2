using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using static NasActors.Dashboard.DashboardFeed;

namespace NasActors.Dashboard;

/// <summary>A request the dashboard cannot answer: the status code and the one-line message the client gets.</summary>
public sealed class DashboardRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}

/// <summary>
/// The dashboard's views, built from the messages pbm's <c>nas</c> palette asks (<see cref="NasActors.Cluster.Hosting.NasPalette"/>):
/// the journal projection for the list of searches (<see cref="CatalogProtocol"/>), the search API for one search's
/// status, results, top-k and training progress, the evaluation queue for evaluators and queue depth, the cluster state
/// for members; plus what the <see cref="DashboardFeed"/> saw on the event stream (times, training curves).
/// </summary>
public sealed class DashboardQueries(ActorSystem system, DashboardFeed feed)
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    // Ids the journal knows: a search is looked up in the projection once before its population is asked, so an unknown
    // id never wakes (and remembers) a population.
    private readonly ConcurrentDictionary<string, SearchSummary> _known = new();

    // The node's own actors, through the registry; before the node registers them, requests get a 503 as when they do not answer.
    private IActorRef Api => Local<SearchApiKey>("the node's search API");
    private IActorRef? Queue => Akka.Hosting.ActorRegistry.For(system).TryGet<EvaluationQueueKey>(out var queue) ? queue : null;

    private IActorRef Local<TKey>(string what) => Akka.Hosting.ActorRegistry.For(system).TryGet<TKey>(out var actor)
        ? actor
        : throw new DashboardRequestException(503, $"{what} is not running on this node yet");

    private async Task<object> Ask(IActorRef target, object message, string what, CancellationToken cancel)
    {
        try
        {
            return await target.Ask<object>(message, AskTimeout, cancel);
        }
        catch (AskTimeoutException) { throw new DashboardRequestException(503, $"no answer from {what} within {AskTimeout.TotalSeconds:0}s"); }
    }

    private static T Expect<T>(object answer) => answer switch
    {
        T t => t,
        SearchReplies.NoSuchSearch n => throw new DashboardRequestException(404, n.ToString()),
        SearchReplies.PersistenceFailed p => throw new DashboardRequestException(503, $"search {p.SearchId}: {p.Reason}"),
        Status.Failure f => throw new DashboardRequestException(503, f.Cause.Message),
        _ => throw new DashboardRequestException(502, $"unexpected answer: {answer}"),
    };

    public async Task<IReadOnlyList<SearchSummary>> SearchesAsync(CancellationToken cancel)
    {
        var list = Expect<CatalogProtocol.SearchList>(await Ask(Api, CatalogProtocol.ListSearches.Instance, "the node's search API", cancel)).Searches;
        foreach (var s in list) _known[s.SearchId] = s;
        return list;
    }

    /// <summary>The search's summary from the journal projection (404 when the journal has no such search).</summary>
    public async Task<SearchSummary> SummaryAsync(string id, CancellationToken cancel)
    {
        if (id.Length is 0 or > 200 || id.Any(char.IsControl))
            throw new DashboardRequestException(400, "a search id is 1 to 200 printable characters");
        if (_known.TryGetValue(id, out var s)) return s;
        s = Expect<SearchSummary>(await Ask(Api, new CatalogProtocol.GetSummary(id), "the node's search API", cancel));
        return _known[id] = s;
    }

    public object SearchRow(SearchSummary s, SearchReplies.SearchStatus? live = null) => new
    {
        id = s.SearchId, name = s.Name, space = s.Space, controller = s.Controller, method = s.Method,
        status = live?.Status ?? s.Status,
        evaluated = live is null ? s.Evaluated + s.Failed : live.Evaluated + live.Failed,
        failed = live?.Failed ?? s.Failed,
        budget = s.Budget,
        bestArchitecture = live is null ? s.BestArchitecture : live.BestArchitecture,
        bestAccuracy = Finite(live is null ? s.BestAccuracy : live.BestAccuracy),
        submittedAt = s.SubmittedAt,
    };

    public async Task<SearchReplies.SearchStatus> StatusAsync(string id, CancellationToken cancel)
    {
        await SummaryAsync(id, cancel);
        var status = Expect<SearchReplies.SearchStatus>(await Ask(Api, new SearchQueries.GetSearchStatus(id), "the search", cancel));
        feed.Evaluated(id, status.Evaluated + status.Failed);
        if (_known.TryGetValue(id, out var s)) _known[id] = s with { Status = status.Status };
        return status;
    }

    /// <summary>One search: status, training, every evaluation (with the time it was recorded), top-k, Pareto front, curve.</summary>
    public async Task<object> SearchAsync(string id, int? k, CancellationToken cancel)
    {
        var summary = await SummaryAsync(id, cancel);
        var status = await StatusAsync(id, cancel);
        var training = Expect<NasActors.Cluster.Searches.SearchInspection.SupernetState>(
            await Ask(Api, new SearchInspection.GetSupernetState(id), "the search", cancel));
        var results = Expect<SearchReplies.SearchResults>(await Ask(Api, new SearchQueries.GetSearchResults(id), "the search", cancel));
        var times = await feed.TimesAsync(id, cancel);
        var space = Space(results.Space);
        object Row(RankedArchitecture e) => new
        {
            order = e.Order, jobId = e.JobId, architecture = e.Text, choices = e.Architecture, blocks = Blocks(space, e.Architecture),
            accuracy = Finite(e.Accuracy), loss = Finite(e.Loss), flops = Finite(e.Flops), @params = Finite(e.Params),
            failed = e.Failed, failure = e.FailureReason,
            at = e.Order < times.Count ? times[e.Order] : (DateTimeOffset?)null,
        };
        var last = feed.LastTraining(id);
        return new
        {
            search = SearchRow(summary, status),
            pending = status.Pending,
            generations = status.Generations,
            training = training.Steps == 0 ? null : new
            {
                method = summary.Method, node = training.Node, step = training.Step, steps = training.Steps,
                loss = Finite(training.Loss), accuracy = Finite(training.Accuracy), ready = training.Ready,
                checkpoint = training.Checkpoint, imagesPerSecond = last?.ImagesPerSecond,
                curve = feed.Curve(id).Select(p => new { step = p.Step, loss = Finite(p.Loss), accuracy = Finite(p.Accuracy), imagesPerSecond = Finite(p.ImagesPerSecond) }),
            },
            evaluations = results.Evaluations.Select(Row),
            top = SearchExport.Top(results, k ?? results.TopKSize).Select(Row),
            paretoFront = SearchExport.ParetoFront(results.Evaluations).Select(e => e.JobId),
            choiceProbabilities = ChoiceProbabilities(space, training),
        };
    }

    /// <summary>
    /// A method with architecture parameters: each layer's probability of each choice at the latest checkpoint (the
    /// distribution journaled with it), with the blocks' names, the argmax and the mean normalised entropy; null for the
    /// other methods and before the first checkpoint.
    /// </summary>
    private static object? ChoiceProbabilities(BlockSpace? space, SearchInspection.SupernetState training)
    {
        // A method that exports derived architectures only (ENAS, Single-Path NAS) has no probabilities to show.
        if (training.Distribution is not { Probabilities: { } probabilities, Argmax: { } argmaxText } d) return null;
        var argmax = Architecture.ParseChoiceString(argmaxText);
        return new
        {
            step = training.DistributionStep, steps = training.Steps, final = training.Ready,
            argmax = argmaxText, argmaxBlocks = Blocks(space, argmaxText), entropy = Finite(d.Entropy ?? double.NaN),
            layers = probabilities.Select((p, layer) => new
            {
                layer,
                argmax = layer < argmax.Count ? argmax[layer] : Array.IndexOf(p, p.Max()),
                probabilities = p.Select(v => Finite(v)).ToArray(),
                choices = Enumerable.Range(0, p.Length).Select(c => ChoiceName(space, layer, c)).ToArray(),
            }),
        };
    }

    private static string ChoiceName(BlockSpace? space, int layer, int choice)
    {
        if (space is null || layer >= space.ChoiceCounts.Count || choice >= space.ChoiceCounts[layer]) return choice.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return space.ChoiceName(layer, choice);
    }

    public async Task<SearchReplies.SearchResults> ResultsAsync(string id, CancellationToken cancel)
    {
        await SummaryAsync(id, cancel);
        return Expect<SearchReplies.SearchResults>(await Ask(Api, new SearchQueries.GetSearchResults(id), "the search", cancel));
    }

    /// <summary>Pause, resume or cancel: the same commands as pbm's nas palette.</summary>
    public async Task<SearchReplies.CommandDone> ControlAsync(string id, string action, string? reason, CancellationToken cancel)
    {
        object command = action switch
        {
            "pause" => new SearchCommands.PauseSearch(id),
            "resume" => new SearchCommands.ResumeSearch(id),
            "cancel" => new SearchCommands.CancelSearch(id, reason is { Length: > 0 } ? reason : "cancelled from the dashboard"),
            _ => throw new DashboardRequestException(404, $"unknown action '{action}' (pause, resume, cancel)"),
        };
        await SummaryAsync(id, cancel);
        var done = Expect<SearchReplies.CommandDone>(await Ask(Api, command, "the search", cancel));
        await StatusAsync(id, cancel);
        return done;
    }

    public async Task<EvaluationProtocol.QueueStats?> QueueAsync(CancellationToken cancel)
    {
        if (Queue is not { } queue) return null; // not registered yet: as when no controller is up
        try { return await queue.Ask<EvaluationProtocol.QueueStats>(EvaluationProtocol.GetQueueStats.Instance, TimeSpan.FromSeconds(3), cancel); }
        catch (AskTimeoutException) { return null; } // no controller up yet
    }

    public async Task<IReadOnlyList<EvaluatorInspection.EvaluatorInfo>> EvaluatorsAsync(CancellationToken cancel)
    {
        if (Queue is not { } queue) return [];
        try
        {
            var list = await queue.Ask<EvaluatorInspection.EvaluatorList>(EvaluatorInspection.GetEvaluators.Instance, TimeSpan.FromSeconds(3), cancel);
            return list.Evaluators.OrderBy(e => e.Node, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();
        }
        catch (AskTimeoutException) { return []; }
    }

    /// <summary>The searches known to be unfinished (from the projection once, then from their populations).</summary>
    public async Task<IReadOnlyList<SearchSummary>> ActiveAsync(CancellationToken cancel)
    {
        if (_known.IsEmpty) await SearchesAsync(cancel);
        return _known.Values.Where(s => !SearchStatusNames.IsFinal(s.Status)).OrderBy(s => s.SearchId, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Members, leader, evaluators, trainers, queue.</summary>
    public async Task<object> ClusterAsync(CancellationToken cancel)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var members = state.Members.Concat(state.Unreachable).Distinct().OrderBy(m => m.Address.ToString(), StringComparer.Ordinal).Select(m => new
        {
            address = m.Address.ToString(),
            roles = m.Roles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray(),
            status = m.Status.ToString().ToLowerInvariant(),
            reachable = !state.Unreachable.Contains(m),
            leader = state.Leader is { } l && l.Equals(m.Address),
            self = m.Address.Equals(cluster.SelfAddress),
            upSince = feed.UpSince(m.Address),
        }).ToArray();
        var trainers = new List<object>();
        foreach (var s in await ActiveAsync(cancel))
        {
            if (s.Method is null) continue;
            if (await Ask(Api, new SearchInspection.GetSupernetState(s.SearchId), "the search", cancel) is not SearchInspection.SupernetState t || t.Steps == 0)
                continue;
            var last = feed.LastTraining(s.SearchId);
            trainers.Add(new
            {
                searchId = t.SearchId, method = s.Method, node = t.Node, step = t.Step, steps = t.Steps,
                state = t.TrainerState(),
                loss = Finite(t.Loss), accuracy = Finite(t.Accuracy), imagesPerSecond = Finite(last?.ImagesPerSecond),
            });
        }
        var queue = await QueueAsync(cancel);
        return new
        {
            node = cluster.SelfAddress.ToString(),
            leader = state.Leader?.ToString(),
            startedAt = feed.StartedAt,
            members,
            evaluators = (await EvaluatorsAsync(cancel)).Select(e => new { node = e.Node, name = e.Name, busy = e.Busy, jobsDone = e.JobsDone, currentJob = e.CurrentJob }),
            trainers,
            queue = queue is null ? null : new { queued = queue.Queued, inFlight = queue.InFlight, idle = queue.IdleEvaluators, evaluators = queue.Evaluators, requeued = queue.Requeued },
        };
    }

    /// <summary>What open pages get every few seconds: the cluster view, and each unfinished search's row, when they changed.</summary>
    public async Task RefreshAsync(CancellationToken cancel)
    {
        feed.BroadcastIfChanged("cluster", new FeedEvent("cluster", JsonSerializer.Serialize(await ClusterAsync(cancel), DashboardJson.Options)));
        foreach (var s in await ActiveAsync(cancel))
        {
            var status = await StatusAsync(s.SearchId, cancel);
            feed.BroadcastIfChanged("search:" + s.SearchId, new FeedEvent("search", JsonSerializer.Serialize(SearchRow(s, status), DashboardJson.Options)));
        }
    }

    private static BlockSpace? Space(string name)
    {
        try { return BlockSpaces.Get(name); }
        catch (ArgumentException) { return null; } // tabular spaces have no blocks
    }

    private static string? Blocks(BlockSpace? space, string choices)
    {
        if (space is null) return null;
        try
        {
            var arch = Architecture.ParseChoiceString(choices);
            return string.Join(" ", arch.Select((c, layer) => space.ChoiceName(layer, c)));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IndexOutOfRangeException) { return null; }
    }
}
