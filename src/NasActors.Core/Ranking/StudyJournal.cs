using System.Text;
using System.Text.Json;

namespace NasActors.Core.Ranking;

/// <summary>A study journal that cannot be used; the message names the file and the fault.</summary>
public sealed class StudyJournalException(string path, string fault)
    : Exception($"Study journal {path}: {fault}.")
{
    public string Path { get; } = path;
}

/// <summary>
/// The append-only journal of one ranking study: one JSON event per line, flushed to disk before a result counts as
/// recorded. A last line cut short by a crash is dropped when the journal is opened (the result it held is simply
/// redone); any other unreadable line stops the study with an error naming the line, and nothing is overwritten.
/// </summary>
public sealed class StudyJournal : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly FileStream _stream;

    private StudyJournal(string path, FileStream stream, StudyState state)
    {
        Path = path;
        _stream = stream;
        State = state;
    }

    public string Path { get; }
    public StudyState State { get; private set; }

    /// <summary>Opens the journal at <paramref name="path"/>, or creates it with <paramref name="start"/>; checks the settings match.</summary>
    public static StudyJournal OpenOrCreate(string path, StudyStarted start)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        FileStream stream;
        // Exclusive: two studies appending to one journal would interleave their results.
        try { stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (File.Exists(path))
        {
            throw new StudyJournalException(path, $"it is in use by another process (is a study already running in this folder?): {e.Message}");
        }
        try
        {
            if (stream.Length == 0)
            {
                var journal = new StudyJournal(path, stream, StudyState.Start(start));
                journal.Write(start);
                return journal;
            }
            var state = Replay(path, stream);
            state.EnsureSameSettings(start.Settings, path);
            if (!state.Architectures.SequenceEqual(start.Architectures))
                throw new StudyJournalException(path, "it records other architectures for the same settings (was it edited?)");
            return new StudyJournal(path, stream, state);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads a journal without opening it for writing (e.g. to report on a finished study).</summary>
    public static StudyState Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Replay(path, stream, truncate: false);
    }

    public void Append(StudyEvent e)
    {
        var next = State.Apply(e);
        Write(e);
        State = next;
    }

    private void Write(StudyEvent e)
    {
        var line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(e, Json) + "\n");
        _stream.Seek(0, SeekOrigin.End);
        _stream.Write(line);
        _stream.Flush(flushToDisk: true);
    }

    private static StudyState Replay(string path, FileStream stream, bool truncate = true)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        // Only whole lines count: a line without its newline was being written when the process stopped.
        var complete = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (complete < bytes.Length && truncate) stream.SetLength(complete);
        var lines = Encoding.UTF8.GetString(bytes, 0, complete).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0) throw new StudyJournalException(path, "it holds no complete event (not a study journal?)");
        StudyState? state = null;
        for (var i = 0; i < lines.Length; i++)
        {
            StudyEvent e;
            try
            {
                e = JsonSerializer.Deserialize<StudyEvent>(lines[i], Json)
                    ?? throw new StudyJournalException(path, $"line {i + 1} is null");
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                throw new StudyJournalException(path, $"line {i + 1} is not a study event ({ex.Message})");
            }
            if (state is null)
                state = e is StudyStarted s ? StudyState.Start(s) : throw new StudyJournalException(path, "its first line is not a study-started event");
            else
                try { state = state.Apply(e); }
                catch (InvalidOperationException ex) { throw new StudyJournalException(path, $"line {i + 1}: {ex.Message}"); }
        }
        return state!;
    }

    public void Dispose() => _stream.Dispose();
}
