using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Tests.Searches;

/// <summary>The history checker of the fault tests, on journals made here (the partition tests run it on real ones).</summary>
public sealed class SearchHistorySpec
{
    private static readonly IReadOnlyList<ISearchEvent> Run = SearchHistory.Uninterrupted("s", TestSpecs.Synthetic(40));

    /// <summary>Journal rows of search "s": event i (0-based) written by writerOf(i), one per sequence number from 1.</summary>
    private static List<JournalRow> Rows(IReadOnlyList<ISearchEvent> events, Func<int, string> writerOf) =>
        events.Select((e, i) => new JournalRow(i + 1, "search-s", i + 1, writerOf(i), DateTime.UtcNow.Ticks + i, false, e)).ToList();

    [Fact]
    public void An_uninterrupted_run_is_a_complete_search_of_its_budget()
    {
        Assert.Empty(SearchJournal.Problems(Run, 40));
        Assert.Equal(40, Run.OfType<EvaluationRecorded>().Count());
    }

    [Fact]
    public void A_history_written_by_one_writer_is_clean()
    {
        var verdict = SearchHistory.Check(Rows(Run, _ => "a"));
        Assert.True(verdict.Clean, verdict.ToString());
        Assert.Equal(["s"], verdict.Searches);
    }

    [Fact]
    public void A_handover_to_a_new_writer_is_clean()
    {
        var verdict = SearchHistory.Check(Rows(Run, i => i < 20 ? "a" : "b"));
        Assert.True(verdict.Clean, verdict.ToString());
        Assert.Equal(2, verdict.PersistenceIds.Single().Runs.Count);
    }

    [Fact]
    public void A_writer_that_writes_again_after_another_took_over_is_two_writers_at_a_time()
    {
        var verdict = SearchHistory.Check(Rows(Run, i => i is >= 20 and < 25 ? "b" : "a"));
        Assert.Contains(verdict.Problems, p => p.Contains("two writers at a time"));
    }

    [Fact]
    public void A_gap_in_the_sequence_numbers_is_found()
    {
        var rows = Rows(Run, _ => "a");
        rows.RemoveAt(10);
        Assert.Contains(SearchHistory.Check(rows).Problems, p => p.Contains("not contiguous: #10 -> #12"));
    }

    [Fact]
    public void A_sequence_number_written_twice_is_found()
    {
        var rows = Rows(Run, _ => "a");
        rows.Add(rows[5] with { Ordering = 1000, Writer = "b" });
        Assert.Contains(SearchHistory.Check(rows).Problems, p => p.Contains("sequence numbers written twice: 6"));
    }

    [Fact]
    public void A_job_recorded_twice_is_found()
    {
        var again = Run.OfType<EvaluationRecorded>().First();
        var events = Run.Take(Run.Count - 1).Append(again).Append(Run[^1]).ToList();
        Assert.Contains(SearchHistory.Check(Rows(events, _ => "a")).Problems, p => p.Contains($"jobs recorded twice: {again.JobId}"));
    }

    [Fact]
    public void A_result_other_than_that_of_an_uninterrupted_run_is_found()
    {
        var changed = Run.Select(e => e is EvaluationRecorded r && r.JobId == 3 ? r with { Metrics = r.Metrics with { Accuracy = r.Metrics.Accuracy + 1 } } : e).ToList();
        Assert.Contains(SearchHistory.Check(Rows(changed, _ => "a")).Problems, p => p.Contains("evaluations differ from an uninterrupted run"));
    }

    [Fact]
    public void Other_persistence_ids_may_start_after_deleted_events_but_must_be_contiguous()
    {
        JournalRow Shard(long seq, string writer = "a") => new(100 + seq, "/sharding/searchShard/3", seq, writer, seq, false, null);
        Assert.True(SearchHistory.Check([Shard(5), Shard(6), Shard(7, "b")]).Clean);
        Assert.Contains(SearchHistory.Check([Shard(5), Shard(7)]).Problems, p => p.Contains("/sharding/searchShard/3: sequence numbers not contiguous"));
    }

    [Fact]
    public void Rows_without_a_writer_id_are_reported_as_unchecked()
    {
        Assert.Contains(SearchHistory.Check(Rows(Run, _ => null!)).Problems, p => p.Contains("without a writer id"));
    }
}
