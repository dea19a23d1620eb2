using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;

namespace NasActors.Cluster.Tests.Hosting;

/// <summary>One process per SQLite journal (<see cref="JournalLock"/>); the multi-process case is NodeStartSpec's.</summary>
public sealed class JournalLockSpec : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nas-lock-").FullName;

    [Fact]
    public void A_held_journal_is_refused_naming_the_key_the_file_and_the_lock_and_is_free_again_once_released()
    {
        var journal = Path.Combine(_folder, "data", "journal.db");
        var first = JournalLock.Acquire(journal);
        Assert.Equal(journal + ".lock", first.Path);

        var e = Assert.Throws<NodeStartException>(() => JournalLock.Acquire(journal));
        Assert.Equal(NodeStartException.BadInput, e.ExitCode);
        Assert.StartsWith($"nas.persistence.sqlite.journal-file: '{journal}' is in use by another running node or command (it holds '{journal}.lock'", e.Message);

        first.Dispose();
        using var again = JournalLock.Acquire(journal);
        // The journal itself is not touched: readers (nas status on a stopped node, the tests) open it as before.
        Assert.False(File.Exists(journal));
    }

    [Fact]
    public void Two_journals_in_one_folder_are_two_locks()
    {
        using var a = JournalLock.Acquire(Path.Combine(_folder, "a.db"));
        using var b = JournalLock.Acquire(Path.Combine(_folder, "b.db"));
        Assert.NotEqual(a.Path, b.Path);
    }

    [Fact]
    public void A_lock_that_cannot_be_created_names_the_file()
    {
        var file = Path.Combine(_folder, "not-a-folder");
        File.WriteAllText(file, "x");
        var e = Assert.Throws<NodeStartException>(() => JournalLock.Acquire(Path.Combine(file, "journal.db")));
        Assert.Contains("not-a-folder", e.Message);
        Assert.Equal(NodeStartException.BadInput, e.ExitCode);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
