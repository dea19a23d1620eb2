using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Persistence;

/// <summary>
/// A search's journal read from outside the cluster (Persistence.Query on the same database), and the check that
/// every evaluation job was recorded exactly once: used by the integration tests and <c>nas bench-recovery</c>.
/// </summary>
public static class SearchJournal
{
    /// <summary>One event and the time its row was written (UTC ticks, the writing node's clock).</summary>
    public sealed record Entry(long SequenceNr, ISearchEvent Event, long TimestampTicks);

    /// <summary>A reader system on this persistence configuration (SQLite files or PostgreSQL); terminate it when done.</summary>
    public static ActorSystem Reader(Config persistence, string name = "journal-reader") =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString(NasSerializer.Hocon + "\nakka.loglevel = ERROR").WithFallback(persistence));

    /// <summary>The events of a search from sequence number <paramref name="from"/> on.</summary>
    public static Task<List<Entry>> ReadAsync(ActorSystem reader, string searchId, long from = 0)
    {
        var journal = PersistenceQuery.Get(reader).ReadJournalFor<SqlReadJournal>("akka.persistence.query.journal.sql");
        return journal.CurrentEventsByPersistenceId(SearchActor.PersistenceIdOf(searchId), from, long.MaxValue)
            .RunAggregate(new List<Entry>(), (l, e) => { l.Add(new Entry(e.SequenceNr, (ISearchEvent)e.Event, e.Timestamp)); return l; },
                reader.Materializer());
    }

    /// <summary>The events of a search, with a reader system of its own.</summary>
    public static async Task<List<ISearchEvent>> ReadAsync(Config persistence, string searchId)
    {
        var system = Reader(persistence);
        try { return (await ReadAsync(system, searchId)).Select(e => e.Event).ToList(); }
        finally { await system.Terminate(); }
    }

    /// <summary>
    /// What is wrong with a completed search's journal: a job proposed twice, a job recorded twice, a job proposed and
    /// never recorded (lost) or recorded without being proposed, a count other than the budget, no completion at the
    /// end. Empty when every proposed job was recorded exactly once.
    /// </summary>
    public static IReadOnlyList<string> Problems(IReadOnlyList<ISearchEvent> events, int budget)
    {
        var problems = new List<string>();
        var proposed = events.OfType<CandidatesProposed>().SelectMany(p => p.Jobs).Select(j => j.JobId).ToArray();
        var recorded = events.OfType<EvaluationRecorded>().Select(r => r.JobId).ToArray();
        string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Order().Take(20));
        var proposedTwice = proposed.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (proposedTwice.Length > 0) problems.Add($"jobs proposed twice: {Ids(proposedTwice)}");
        var recordedTwice = recorded.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        if (recordedTwice.Length > 0) problems.Add($"jobs recorded twice: {Ids(recordedTwice)}");
        var lost = proposed.Except(recorded).ToArray();
        if (lost.Length > 0) problems.Add($"jobs proposed and never recorded (lost): {Ids(lost)}");
        var unproposed = recorded.Except(proposed).ToArray();
        if (unproposed.Length > 0) problems.Add($"jobs recorded but never proposed: {Ids(unproposed)}");
        if (recorded.Length != budget) problems.Add($"{recorded.Length} evaluations recorded, budget {budget}");
        if (events.Count == 0 || events[^1] is not SearchCompleted)
            problems.Add($"the journal does not end with SearchCompleted (last: {(events.Count == 0 ? "none" : events[^1].GetType().Name)})");
        return problems;
    }
}
