using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Persistence;

/// <summary>
/// One process per SQLite journal. Two nodes (or two studies, or a quickstart beside a node) on one journal file are
/// two clusters writing the same persistence ids (the shard coordinators', every search's): their sequence numbers
/// collide and each replays the other's events. The node holds an exclusive lock on <c>JOURNAL.lock</c> beside the
/// journal for as long as its actor system runs; a second one is refused before it starts, naming the holder. The lock
/// is the operating system's (flock), so a process killed with -9 leaves nothing stale behind: its restart takes it.
/// PostgreSQL is shared by the nodes of one cluster on purpose and is not locked here.
/// </summary>
public sealed class JournalLock : IDisposable
{
    private readonly FileStream _file;

    private JournalLock(FileStream file, string path)
    {
        _file = file;
        Path = path;
    }

    /// <summary>The lock file (<c>JOURNAL.lock</c>).</summary>
    public string Path { get; }

    /// <summary>Takes the lock of <paramref name="journalFile"/>, or fails naming <paramref name="key"/>, the file and the holder.</summary>
    /// <exception cref="NodeStartException">Another process (or another node of this one) holds the journal.</exception>
    public static JournalLock Acquire(string journalFile, string key = "nas.persistence.sqlite.journal-file")
    {
        var path = System.IO.Path.GetFullPath(journalFile) + ".lock";
        FileStream file;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new NodeStartException(NodeStartException.BadInput,
                $"{key}: '{journalFile}' is in use by another running node or command (it holds '{path}'; `fuser` names it): " +
                "one SQLite journal takes one process, two would write the same events; stop that one, or give this one its own journal (another folder or --out)", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NodeStartException(NodeStartException.BadInput, $"{key}: '{journalFile}': cannot create its lock file '{path}': {e.Message}", e);
        }
        return new JournalLock(file, path);
    }

    /// <summary>Releases the lock (the file stays: deleting it would race with a process taking it).</summary>
    public void Dispose() => _file.Dispose();
}
