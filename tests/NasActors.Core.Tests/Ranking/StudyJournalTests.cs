using NasActors.Core.Ranking;

namespace NasActors.Core.Tests.Ranking;

public sealed class StudyJournalTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nas-journal-").FullName;
    private string File => Path.Combine(_folder, "study.jsonl");

    private static StudyStarted Start(string k = "4") =>
        new(new Dictionary<string, string> { ["k"] = k, ["space"] = "fmnist-mbconv" }, ["000000", "111111"]);

    [Fact]
    public void Recorded_results_survive_a_reopen_and_a_repeated_result_keeps_the_first_value()
    {
        using (var j = StudyJournal.OpenOrCreate(File, Start()))
        {
            j.Append(new StandaloneTrained("000000", 0.8, 0.5, 1));
            j.Append(new StandaloneTrained("000000", 0.9, 0.4, 1));
            j.Append(new SupernetScored("spos", "111111", 0.6, 1.0, 2));
        }
        using var again = StudyJournal.OpenOrCreate(File, Start());
        Assert.Equal(0.8, again.State.Standalone["000000"].TestAccuracy);
        Assert.True(again.State.IsScored("spos", "111111"));
        Assert.False(again.State.IsScored("fairnas", "111111"));
    }

    [Fact]
    public void A_line_cut_short_by_a_crash_is_dropped_and_the_rest_kept()
    {
        using (var j = StudyJournal.OpenOrCreate(File, Start()))
            j.Append(new StandaloneTrained("000000", 0.8, 0.5, 1));
        System.IO.File.AppendAllText(File, "{\"event\":\"standalone-trained\",\"Archi");
        using (var j = StudyJournal.OpenOrCreate(File, Start()))
        {
            Assert.Single(j.State.Standalone);
            j.Append(new StandaloneTrained("111111", 0.7, 0.5, 1));
        }
        Assert.Equal(2, StudyJournal.Read(File).Standalone.Count);
    }

    [Fact]
    public void Resuming_with_other_settings_names_the_setting_and_leaves_the_journal_untouched()
    {
        using (var j = StudyJournal.OpenOrCreate(File, Start()))
            j.Append(new StandaloneTrained("000000", 0.8, 0.5, 1));
        var before = System.IO.File.ReadAllBytes(File);
        var e = Assert.Throws<StudyJournalException>(() => StudyJournal.OpenOrCreate(File, Start("12")));
        Assert.Contains("k: recorded '4', now '12'", e.Message);
        Assert.Contains(File, e.Message);
        Assert.Equal(before, System.IO.File.ReadAllBytes(File));
    }

    [Fact]
    public void A_damaged_line_inside_the_journal_is_named()
    {
        using (var j = StudyJournal.OpenOrCreate(File, Start()))
            j.Append(new StandaloneTrained("000000", 0.8, 0.5, 1));
        System.IO.File.AppendAllText(File, "not json\n{\"event\":\"supernet-scored\",\"Method\":\"spos\",\"Architecture\":\"000000\",\"Accuracy\":0.5,\"Loss\":1,\"Seconds\":1}\n");
        var e = Assert.Throws<StudyJournalException>(() => StudyJournal.OpenOrCreate(File, Start()));
        Assert.Contains("line 3", e.Message);
        System.IO.File.WriteAllText(File, "{\"event\":\"standalone-trained\",\"Architecture\":\"0\",\"TestAccuracy\":1,\"TestLoss\":1,\"Seconds\":1}\n");
        Assert.Contains("first line", Assert.Throws<StudyJournalException>(() => StudyJournal.Read(File)).Message);
    }

    [Fact]
    public void A_journal_in_use_is_refused_by_a_second_study()
    {
        using var first = StudyJournal.OpenOrCreate(File, Start());
        var e = Assert.Throws<StudyJournalException>(() => StudyJournal.OpenOrCreate(File, Start()));
        Assert.Contains("in use by another process", e.Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
