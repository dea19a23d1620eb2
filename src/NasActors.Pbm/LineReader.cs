namespace NasActors.Pbm;

/// <summary>Reads interactive lines; the console one edits them with history (up/down arrows).</summary>
public interface ILineReader
{
    Task<string?> ReadLineAsync(string prompt, CancellationToken cancel);

    void Remember(string line);
}

/// <summary>A small line editor on <see cref="Console.ReadKey(bool)"/>: typing, backspace, left/right, up/down through history
/// (kept in ~/.pbm_history between sessions), Ctrl+D on an empty line to end.</summary>
public sealed class ConsoleLineReader : ILineReader
{
    private const int Keep = 500;
    private readonly List<string> _history = [];
    private readonly string? _file;

    public ConsoleLineReader()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length == 0) return;
        _file = Path.Combine(home, ".pbm_history");
        try { if (File.Exists(_file)) _history.AddRange(File.ReadLines(_file).TakeLast(Keep)); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public void Remember(string line)
    {
        if (_history.Count > 0 && _history[^1] == line) return;
        _history.Add(line);
        if (_file is null) return;
        try { File.AppendAllLines(_file, [line]); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public Task<string?> ReadLineAsync(string prompt, CancellationToken cancel) => Task.Run(() => Read(prompt, cancel), cancel);

    private string? Read(string prompt, CancellationToken cancel)
    {
        Console.Write(prompt);
        var buffer = new List<char>();
        var cursor = 0;
        var index = _history.Count;
        while (true)
        {
            while (!Console.KeyAvailable)
            {
                cancel.ThrowIfCancellationRequested();
                Thread.Sleep(15); // Console.ReadKey cannot be cancelled: poll so Ctrl+C at the prompt ends the session
            }
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return new string(buffer.ToArray());
                case ConsoleKey.Backspace when cursor > 0:
                    buffer.RemoveAt(--cursor);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0: cursor--; break;
                case ConsoleKey.RightArrow when cursor < buffer.Count: cursor++; break;
                case ConsoleKey.UpArrow when index > 0:
                    buffer = [.. _history[--index]];
                    cursor = buffer.Count;
                    break;
                case ConsoleKey.DownArrow when index < _history.Count:
                    index++;
                    buffer = index == _history.Count ? [] : [.. _history[index]];
                    cursor = buffer.Count;
                    break;
                case ConsoleKey.D when key.Modifiers == ConsoleModifiers.Control && buffer.Count == 0:
                    Console.WriteLine();
                    return null;
                default:
                    if (key.KeyChar >= ' ' && key.KeyChar != '\u007f') buffer.Insert(cursor++, key.KeyChar);
                    else continue;
                    break;
            }
            Redraw(prompt, buffer, cursor);
        }
    }

    private static void Redraw(string prompt, List<char> buffer, int cursor)
    {
        var text = new string(buffer.ToArray());
        Console.Write("\r" + prompt + text + "\u001b[K");
        var back = buffer.Count - cursor;
        if (back > 0) Console.Write($"\u001b[{back}D");
    }
}
