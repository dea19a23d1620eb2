using System.Text.Json;
using NasActors.Cluster.Searches;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Ranking;

/// <summary>A study that cannot go on; the message says which part and why.</summary>
public sealed class MethodStudyException(string message) : Exception(message);

/// <summary>A study asked to go on with other settings than it started with: bad input, nothing done.</summary>
public sealed class MethodStudySettingsException(string message) : ArgumentException(message);

/// <summary>What the study measured of one part while it waited for it: seconds (over every run), peak memory sampled,
/// and the CPU seconds of this process meanwhile (in-process node only: the part's own work, whatever else the machine
/// runs).</summary>
public sealed record PartCost(double Seconds, long? PeakMemoryBytes, double? CpuSeconds = null);

/// <summary>A sample of this process: resident memory and CPU time so far; null where the parts run elsewhere.</summary>
public sealed record ProcessSample(long? ResidentBytes, double CpuSeconds);

/// <summary>
/// The costs of the parts, kept in a JSON file of the study folder and written at every poll, so a study cut short
/// (kill -9) and resumed adds up the time of both runs.
/// </summary>
public sealed class PartLedger
{
    private readonly string? _path;
    private readonly Dictionary<string, PartCost> _costs;

    public PartLedger(string? path)
    {
        _path = path;
        _costs = path is not null && File.Exists(path)
            ? JsonSerializer.Deserialize<Dictionary<string, PartCost>>(File.ReadAllText(path)) ?? []
            : [];
    }

    // Parts of a study on a cluster are awaited at once (one task each): every access takes the lock.
    private readonly object _gate = new();

    public IReadOnlyDictionary<string, PartCost> Costs
    {
        get { lock (_gate) return new Dictionary<string, PartCost>(_costs); }
    }

    public void Add(string part, double seconds, long? memory, double? cpuSeconds = null)
    {
        lock (_gate)
        {
            var old = _costs.GetValueOrDefault(part) ?? new PartCost(0, null);
            _costs[part] = new PartCost(old.Seconds + seconds,
                memory is null ? old.PeakMemoryBytes : Math.Max(memory.Value, old.PeakMemoryBytes ?? 0),
                cpuSeconds is null ? old.CpuSeconds : (old.CpuSeconds ?? 0) + cpuSeconds);
            if (_path is null) return;
            var tmp = _path + ".tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(_costs));
            File.Move(tmp, _path, overwrite: true);
        }
    }
}

/// <summary>
/// Runs a <see cref="MethodStudyPlan"/> through a node's search API (in process or over remoting): submits each part's
/// search (a repeated submit of the same spec is accepted again, so a study run twice resumes), waits for each to end
/// while reporting progress, then submits the stand-alone trainings of the architectures the methods derived, and
/// collects every result. A method whose search fails (its training threw or diverged) is recorded as failed and the
/// others go on; a failed reference part stops the study. On one node the parts run one after another (they would share
/// the same cores); on a cluster they run at once, spread over the evaluator and trainer nodes.
/// </summary>
public sealed class MethodStudyRunner(MethodStudyPlan plan, Func<object, Task<object>> ask, Action<string, SearchStatus> progress,
    PartLedger ledger, Func<ProcessSample?> sample)
{
    private readonly List<string> _submitted = [];
    private DateTime _deadline = DateTime.MaxValue;

    /// <summary>True when the time limit stopped the study before every part ended (the results are partial).</summary>
    public bool TimeLimitReached { get; private set; }

    /// <param name="timeLimit">Stop waiting after this long and return what the parts have so far (their searches go on
    /// in the journal: the same command again resumes them); null: wait until every part ends.</param>
    public async Task<IReadOnlyDictionary<string, SearchResults>> RunAsync(bool oneAtATime, TimeSpan poll, CancellationToken cancel,
        TimeSpan? timeLimit = null)
    {
        if (timeLimit is { } limit) _deadline = DateTime.UtcNow + limit;
        try
        {
            await RunPartsAsync(plan.FirstParts, _ => null, oneAtATime, poll, cancel);
            var first = new Dictionary<string, SearchResults>();
            foreach (var part in plan.FirstParts) first[part] = await ResultsAsync(part);
            foreach (var part in plan.StandaloneParts)
                if (first[part].Status != SearchStatusNames.Completed)
                    throw new MethodStudyException($"Reference part {part} (search {plan.SearchId(part)}) ended {first[part].Status}: {first[part].FailureReason}");

            // The architectures the methods derived that the reference has not trained: stand-alone with the same seeds.
            var sample = first[plan.StandaloneParts[0]].Evaluations.Select(e => e.Architecture).ToHashSet();
            var derived = plan.MethodParts
                .Where(m => first[m].Status == SearchStatusNames.Completed && first[m].Export is { } x && !sample.Contains(x.Picked))
                .ToDictionary(m => m, m => first[m].Export!.Picked);
            var derivedParts = derived.Keys.SelectMany(m => Enumerable.Range(0, plan.Options.Seeds).Select(s => MethodStudyPlan.DerivedPart(m, s))).ToArray();
            await RunPartsAsync(derivedParts, m => derived.GetValueOrDefault(m), oneAtATime, poll, cancel);
        }
        catch (TimeLimitException) { TimeLimitReached = true; }
        var results = new Dictionary<string, SearchResults>();
        foreach (var part in _submitted) results[part] = await ResultsAsync(part);
        return results;
    }

    private sealed class TimeLimitException : Exception;

    private async Task RunPartsAsync(IReadOnlyList<string> parts, Func<string, string?> derived, bool oneAtATime, TimeSpan poll, CancellationToken cancel)
    {
        if (oneAtATime)
            foreach (var part in parts)
            {
                await SubmitAsync(part, derived);
                await AwaitEndAsync(part, poll, cancel);
            }
        else
        {
            foreach (var part in parts) await SubmitAsync(part, derived);
            await Task.WhenAll(parts.Select(p => AwaitEndAsync(p, poll, cancel)));
        }
    }

    private async Task<SearchResults> ResultsAsync(string part) =>
        await ask(new GetSearchResults(plan.SearchId(part))) as SearchResults
        ?? throw new MethodStudyException($"Study part {part}: no results from search {plan.SearchId(part)}.");

    private async Task SubmitAsync(string part, Func<string, string?> derived)
    {
        var id = plan.SearchId(part);
        switch (await ask(new SubmitSearch(id, plan.Spec(part, derived))))
        {
            case SearchAccepted:
                if (!_submitted.Contains(part)) _submitted.Add(part);
                return;
            case SearchRejected r:
                throw new MethodStudySettingsException($"Study part {part} (search {id}) refused: {r.Reason}. A study resumes only with the " +
                                                       "settings it started with; use another --name (or folder) for other settings.");
            case var other:
                throw new MethodStudyException($"Study part {part} (search {id}): unexpected answer {other}.");
        }
    }

    private async Task AwaitEndAsync(string part, TimeSpan poll, CancellationToken cancel)
    {
        var id = plan.SearchId(part);
        SearchStatus? last = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpu = sample()?.CpuSeconds;
        var first = true;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (await ask(new GetSearchStatus(id)) is not SearchStatus s)
                throw new MethodStudyException($"Study part {part}: search {id} is not known to the cluster.");
            if (last is null || s.Evaluated != last.Evaluated || s.Failed != last.Failed || s.Status != last.Status
                || s.TrainingStep * 20 / Math.Max(1, s.TrainingSteps) != last.TrainingStep * 20 / Math.Max(1, last.TrainingSteps))
                progress(part, s);
            last = s;
            // A part that ended in an earlier run costs nothing now.
            if (first && SearchStatusNames.IsFinal(s.Status)) return;
            first = false;
            var now = sample();
            ledger.Add(part, clock.Elapsed.TotalSeconds, now?.ResidentBytes, now is null || cpu is null ? null : now.CpuSeconds - cpu);
            cpu = now?.CpuSeconds;
            clock.Restart();
            if (SearchStatusNames.IsFinal(s.Status)) return;
            if (DateTime.UtcNow >= _deadline) throw new TimeLimitException();
            await Task.Delay(poll, cancel);
        }
    }
}
