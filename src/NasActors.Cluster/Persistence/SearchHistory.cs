using System.Data.Common;
using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Specs;
using Npgsql;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Persistence;

/// <summary>
/// One row of Akka.Persistence.Sql's <c>journal</c> table, as stored. <see cref="Writer"/> is the plugin's
/// <c>writer_uuid</c> column: one value per journal plugin instance, i.e. per actor system, so every incarnation of a
/// node (a restart, a rejoin after being downed) writes under a new one. <see cref="Created"/> is the writing node's
/// UTC clock in ticks. <see cref="Event"/> is decoded for searches (<c>search-*</c>) only.
/// </summary>
public sealed record JournalRow(long Ordering, string PersistenceId, long SequenceNr, string? Writer, long Created, bool Deleted, ISearchEvent? Event)
{
    public DateTime CreatedUtc => new(Created, DateTimeKind.Utc);
}

/// <summary>A stretch of consecutive events of one persistence id written by one writer (one actor system).</summary>
public sealed record WriterRun(string Writer, long FromSequenceNr, long ToSequenceNr, DateTime First, DateTime Last);

/// <summary>Who wrote a persistence id's events, in sequence order.</summary>
public sealed record PersistenceIdHistory(string PersistenceId, int Rows, IReadOnlyList<WriterRun> Runs);

/// <summary>What <see cref="SearchHistory.Check"/> found: no problem means a clean history.</summary>
public sealed record HistoryVerdict(IReadOnlyList<string> Problems, IReadOnlyList<PersistenceIdHistory> PersistenceIds, IReadOnlyList<string> Searches)
{
    public bool Clean => Problems.Count == 0;
    public override string ToString() => Clean
        ? $"clean: {PersistenceIds.Count} persistence ids, {Searches.Count} search(es)"
        : $"{Problems.Count} problem(s): {string.Join("; ", Problems)}";
}

/// <summary>
/// The history checker of the fault tests: from the journal table alone, for every persistence id, its sequence
/// numbers are contiguous with no duplicate, and one writer at a time wrote it (once another actor system has
/// written an event, an earlier one never writes again: two incarnations of a population alive at once would
/// alternate); for every search, each proposed job is recorded exactly once, the budget is spent and the search
/// completed, and its evaluations and top-k equal those of an uninterrupted run with the same seed
/// (<see cref="Uninterrupted"/>, for stub searches, whose scores are a pure function of the job).
/// </summary>
public static class SearchHistory
{
    // Akka.Persistence.Sql's default table mapping (the one hocon/ and SqlitePersistence use, for every provider).
    private const string Select =
        "SELECT ordering, persistence_id, sequence_number, writer_uuid, created, deleted, message, identifier, manifest FROM journal ORDER BY ordering";

    /// <summary>Every row of a PostgreSQL journal (e.g. <see cref="Local.PostgresServer.LocalConnectionString"/>).</summary>
    public static async Task<IReadOnlyList<JournalRow>> ReadPostgresAsync(string connectionString)
    {
        await using var c = new NpgsqlConnection(connectionString);
        return await ReadAsync(c);
    }

    /// <summary>Every row of a SQLite journal file (a node's data/journal.db).</summary>
    public static async Task<IReadOnlyList<JournalRow>> ReadSqliteAsync(string journalFile)
    {
        await using var c = new SqliteConnection(SqlitePersistence.ConnectionString(journalFile));
        return await ReadAsync(c);
    }

    private static async Task<IReadOnlyList<JournalRow>> ReadAsync(DbConnection connection)
    {
        // An actor system only for the serializers the events were written with.
        var system = ActorSystem.Create("history-reader", ConfigurationFactory.ParseString(NasSerializer.Hocon + "\nakka.loglevel = ERROR"));
        try
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = Select;
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<JournalRow>();
            while (await reader.ReadAsync())
            {
                var id = reader.GetString(1);
                ISearchEvent? e = null;
                if (id.StartsWith("search-", StringComparison.Ordinal) && !reader.IsDBNull(7))
                    e = system.Serialization.Deserialize((byte[])reader.GetValue(6), Convert.ToInt32(reader.GetValue(7)),
                        reader.IsDBNull(8) ? "" : reader.GetString(8)) as ISearchEvent;
                rows.Add(new JournalRow(Convert.ToInt64(reader.GetValue(0)), id, Convert.ToInt64(reader.GetValue(2)),
                    reader.IsDBNull(3) ? null : reader.GetString(3), Convert.ToInt64(reader.GetValue(4)), Convert.ToBoolean(reader.GetValue(5)), e));
            }
            return rows;
        }
        finally { await system.Terminate(); }
    }

    /// <summary>
    /// Checks every persistence id of the journal and every search in it (see the class). <paramref name="reference"/>
    /// gives the events of an uninterrupted run of a search (default: <see cref="Uninterrupted"/> for stub searches,
    /// none otherwise).
    /// </summary>
    public static HistoryVerdict Check(IReadOnlyList<JournalRow> rows, Func<string, SearchSpec, IReadOnlyList<ISearchEvent>?>? reference = null)
    {
        reference ??= (id, spec) => spec.Evaluation.Kind == EvaluationKind.Stub ? Uninterrupted(id, spec) : null;
        var problems = new List<string>();
        var histories = new List<PersistenceIdHistory>();
        var searches = new List<string>();
        foreach (var group in rows.GroupBy(r => r.PersistenceId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var pid = group.Key;
            var bySeq = group.OrderBy(r => r.SequenceNr).ThenBy(r => r.Ordering).ToArray();
            problems.AddRange(SequenceProblems(pid, bySeq));
            var runs = Runs(bySeq);
            problems.AddRange(WriterProblems(pid, runs));
            histories.Add(new PersistenceIdHistory(pid, bySeq.Length, runs));
            if (!pid.StartsWith("search-", StringComparison.Ordinal)) continue;
            var events = bySeq.Where(r => !r.Deleted).Select(r => r.Event).ToList();
            if (events.Any(e => e is null)) { problems.Add($"{pid}: {events.Count(e => e is null)} event(s) could not be read"); continue; }
            var search = events.Cast<ISearchEvent>().ToList();
            if (search.FirstOrDefault() is not SearchSubmitted submitted) { problems.Add($"{pid}: the first event is not SearchSubmitted"); continue; }
            searches.Add(submitted.SearchId);
            problems.AddRange(SearchJournal.Problems(search, submitted.Spec.Budget).Select(p => $"{pid}: {p}"));
            if (reference(submitted.SearchId, submitted.Spec) is { } expected) problems.AddRange(Differences(pid, search, expected));
        }
        return new HistoryVerdict(problems, histories, searches);
    }

    /// <summary>Duplicates and gaps (a search starts at 1; other ids may have deleted their oldest events).</summary>
    private static IEnumerable<string> SequenceProblems(string pid, JournalRow[] bySeq)
    {
        var duplicates = bySeq.GroupBy(r => r.SequenceNr).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (duplicates.Length > 0) yield return $"{pid}: sequence numbers written twice: {string.Join(", ", duplicates.Take(10))}";
        var numbers = bySeq.Select(r => r.SequenceNr).Distinct().ToArray();
        if (pid.StartsWith("search-", StringComparison.Ordinal) && numbers[0] != 1) yield return $"{pid}: starts at #{numbers[0]}, not #1";
        var gaps = numbers.Zip(numbers.Skip(1)).Where(p => p.Item2 != p.Item1 + 1).Select(p => $"#{p.Item1} -> #{p.Item2}").ToArray();
        if (gaps.Length > 0) yield return $"{pid}: sequence numbers not contiguous: {string.Join(", ", gaps.Take(10))}";
    }

    private static List<WriterRun> Runs(JournalRow[] bySeq)
    {
        var runs = new List<WriterRun>();
        foreach (var r in bySeq)
        {
            var writer = r.Writer ?? "?";
            if (runs.Count > 0 && runs[^1].Writer == writer)
                runs[^1] = runs[^1] with { ToSequenceNr = r.SequenceNr, Last = r.CreatedUtc > runs[^1].Last ? r.CreatedUtc : runs[^1].Last };
            else runs.Add(new WriterRun(writer, r.SequenceNr, r.SequenceNr, r.CreatedUtc, r.CreatedUtc));
        }
        return runs;
    }

    /// <summary>
    /// One writer at a time: a writer that comes back after another one wrote was alive while the other wrote (a new
    /// incarnation on the same node would write under a new writer id). A writer column left empty cannot be checked.
    /// </summary>
    private static IEnumerable<string> WriterProblems(string pid, List<WriterRun> runs)
    {
        if (runs.Any(r => r.Writer == "?")) yield return $"{pid}: rows without a writer id (writer_uuid): overlapping writers cannot be ruled out";
        var seen = new Dictionary<string, WriterRun>();
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            if (seen.TryGetValue(run.Writer, out var earlier))
                yield return $"{pid}: two writers at a time: {Short(run.Writer)} wrote #{earlier.FromSequenceNr}-#{earlier.ToSequenceNr}, " +
                             $"{Short(runs[i - 1].Writer)} wrote #{runs[i - 1].FromSequenceNr}-#{runs[i - 1].ToSequenceNr}, then {Short(run.Writer)} " +
                             $"again #{run.FromSequenceNr}-#{run.ToSequenceNr}";
            seen[run.Writer] = run;
        }
    }

    private static string Short(string writer) => writer.Length > 8 ? writer[..8] : writer;

    /// <summary>Evaluations and top-k against an uninterrupted run: the same jobs, architectures and scores.</summary>
    private static IEnumerable<string> Differences(string pid, List<ISearchEvent> events, IReadOnlyList<ISearchEvent> expected)
    {
        static (int, string, double)[] Evaluations(IEnumerable<ISearchEvent> es) => es.OfType<EvaluationRecorded>()
            .Select(r => (r.JobId, r.Architecture, r.Metrics.Accuracy)).Order().ToArray();
        static (int, string, double)[] Top(IEnumerable<ISearchEvent> es) => es.OfType<SearchCompleted>().LastOrDefault() is { } c
            ? c.Top.Select(t => (t.JobId, t.Architecture, t.Accuracy)).ToArray()
            : [];
        var (got, want) = (Evaluations(events), Evaluations(expected));
        if (!got.SequenceEqual(want))
        {
            var missing = want.Except(got).Take(5).Select(e => $"job {e.Item1}").ToArray();
            var extra = got.Except(want).Take(5).Select(e => $"job {e.Item1}").ToArray();
            yield return $"{pid}: evaluations differ from an uninterrupted run with the same seed ({got.Length} against {want.Length}; " +
                         $"missing: {(missing.Length == 0 ? "none" : string.Join(", ", missing))}; unexpected: {(extra.Length == 0 ? "none" : string.Join(", ", extra))})";
        }
        var (top, wantTop) = (Top(events), Top(expected));
        if (!top.SequenceEqual(wantTop))
            yield return $"{pid}: the final top-{wantTop.Length} differs from an uninterrupted run with the same seed: " +
                         $"[{string.Join(", ", top.Take(5).Select(t => t.Item1))}...] against [{string.Join(", ", wantTop.Take(5).Select(t => t.Item1))}...]";
    }

    /// <summary>
    /// The events of an uninterrupted run of a stub search (no actors, no journal): the population's own decisions
    /// (<see cref="SearchState"/>) with every job scored by <see cref="StubEvaluationBackend.Score"/>, failed attempts
    /// retried as the queue would. Controllers learn from whole batches, so the result does not depend on the order
    /// results arrive in, and a faulty run must end with the same evaluations and top-k.
    /// </summary>
    public static IReadOnlyList<ISearchEvent> Uninterrupted(string searchId, SearchSpec spec)
    {
        if (spec.Evaluation.Kind != EvaluationKind.Stub) throw new ArgumentException($"search {searchId}: only stub searches have a pure uninterrupted run", nameof(spec));
        var state = SearchState.Empty(searchId);
        var events = new List<ISearchEvent>();
        void Apply(ISearchEvent e) { state.Apply(e); events.Add(e); }
        Apply(new SearchSubmitted(searchId, spec, DateTimeOffset.UnixEpoch));
        while (state.Decide() is { } next)
        {
            Apply(next);
            if (next is SearchCompleted) break;
            foreach (var job in state.JobsToEnqueue())
            {
                for (var attempt = job.Attempt; ; attempt++)
                {
                    IReadOnlyList<ISearchEvent> outcome;
                    try
                    {
                        var metrics = StubEvaluationBackend.Score(job with { Attempt = attempt });
                        outcome = state.OnResult(new JobSucceeded(searchId, job.JobId, attempt, job.Architecture, metrics, null, "reference"));
                    }
                    catch (EvaluationException e)
                    {
                        outcome = state.OnFailure(new JobFailed(searchId, job.JobId, attempt, job.Architecture, e.Message, "reference"));
                    }
                    foreach (var e in outcome) Apply(e);
                    if (state.Jobs[job.JobId].Resolved || outcome.Count == 0) break;
                }
            }
        }
        return events;
    }
}
