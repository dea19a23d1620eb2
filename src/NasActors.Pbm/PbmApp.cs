using NasActors.Pbm.Protocol;

namespace NasActors.Pbm;

/// <summary>Exit codes of pbm.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The host ran the command and it failed (no such search, no such member, ...).</summary>
    public const int CommandFailed = 1;
    /// <summary>Bad input: unknown palette or command, a missing switch, a malformed address.</summary>
    public const int Usage = 2;
    /// <summary>The host could not be reached, refused the connection, or the connection was lost.</summary>
    public const int Connection = 3;
}

/// <summary>
/// pbm: <c>pbm [host:port]</c> (interactive) or <c>pbm [host:port] &lt;palette&gt; &lt;command&gt; [-switch value]...</c>
/// (one-shot). The console and Ctrl+C are given from outside, so tests run it with redirected input and output.
/// </summary>
public sealed class PbmApp(TextReader input, TextWriter output, TextWriter error, ILineReader? lineReader = null)
{
    private readonly object _gate = new();
    private readonly CancellationTokenSource _session = new();
    private CancellationTokenSource? _command;
    private readonly List<string> _history = [];

    public const string Usage = """
        usage: pbm [host:port] [--token TOKEN]                                  interactive (default 127.0.0.1:9110)
               pbm [host:port] [--token TOKEN] <palette> <command> [-switch value]...   one command
        The token may also come from the PBM_TOKEN environment variable. Exit codes: 0 ok, 1 the command failed,
        2 bad input, 3 the host could not be reached or refused the connection.
        """;

    /// <summary>Ctrl+C: stops the running command (a stream) and returns true, or ends the session when none runs.</summary>
    public bool Interrupt()
    {
        lock (_gate)
        {
            if (_command is { IsCancellationRequested: false } c) { c.Cancel(); return true; }
            _session.Cancel();
            return false;
        }
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var words = new List<string>();
        string? token = Environment.GetEnvironmentVariable(PbmWire.TokenVariable);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--token")
            {
                if (i + 1 >= args.Count) return Fail(ExitCodes.Usage, "--token needs a value");
                token = args[++i];
            }
            else if (args[i] is "--help" or "-h" or "-?" && words.Count == 0) { await output.WriteLineAsync(Usage); return ExitCodes.Ok; }
            else words.Add(args[i]);
        }
        var (host, port) = ("127.0.0.1", PbmWire.DefaultPort);
        if (words.Count > 0 && words[0].Contains(':'))
        {
            try { (host, port) = CommandLine.ParseEndpoint(words[0]); }
            catch (FormatException e) { return Fail(ExitCodes.Usage, e.Message); }
            words.RemoveAt(0);
        }
        if (words.Count == 1 && words[0] != "help") return Fail(ExitCodes.Usage, $"'{words[0]}' needs a command: pbm [host:port] <palette> <command> (or no words for the interactive mode)");

        PbmConnection connection;
        try { connection = await PbmConnection.ConnectAsync(host, port, token, _session.Token); }
        catch (ConnectionException e) { return Fail(ExitCodes.Connection, e.Message); }
        catch (OperationCanceledException) { return Fail(ExitCodes.Connection, "interrupted"); }
        await using (connection)
        {
            if (words.Count > 0) return await OneShotAsync(connection, words);
            return await InteractiveAsync(connection, host, port, token);
        }
    }

    private async Task<int> OneShotAsync(PbmConnection connection, IReadOnlyList<string> words)
    {
        if (words[0] == "help")
        {
            if (words.Count > 1 && !connection.Palettes.Any(p => string.Equals(p.Name, words[1], StringComparison.OrdinalIgnoreCase)))
                return Fail(ExitCodes.Usage, $"unknown palette '{words[1]}' (known: {string.Join(", ", connection.Palettes.Select(p => p.Name))})");
            foreach (var h in HelpLines(connection.Palettes, words.Count > 1 ? words[1] : null)) await output.WriteLineAsync(h);
            return ExitCodes.Ok;
        }
        ParsedCommand parsed;
        try { parsed = CommandLine.Parse(connection.Palettes, words); }
        catch (FormatException e) { return Fail(ExitCodes.Usage, e.Message); }
        return await RunCommandAsync(connection, parsed);
    }

    private async Task<int> RunCommandAsync(PbmConnection connection, ParsedCommand parsed)
    {
        var cancel = CancellationTokenSource.CreateLinkedTokenSource(_session.Token);
        lock (_gate) _command = cancel;
        try
        {
            var failure = await connection.ExecuteAsync(parsed, async line => await output.WriteLineAsync(line), cancel.Token);
            await output.FlushAsync();
            return failure is null ? ExitCodes.Ok : Fail(ExitCodes.CommandFailed, failure);
        }
        catch (ConnectionException e) { return Fail(ExitCodes.Connection, e.Message); }
        finally
        {
            lock (_gate) _command = null;
            cancel.Dispose();
        }
    }

    private async Task<int> InteractiveAsync(PbmConnection connection, string host, int port, string? token)
    {
        await output.WriteLineAsync($"Connected to {connection.Endpoint} ({connection.Welcome.Node}).");
        await output.WriteLineAsync($"Downloaded {connection.Palettes.Count} palettes from the server: {string.Join(", ", connection.Palettes.Select(p => p.Name))}. Type help, or exit.");
        var prompt = $"[{host}:{port}] pbm> ";
        while (!_session.IsCancellationRequested)
        {
            string? line;
            try { line = await ReadLineAsync(prompt); }
            catch (OperationCanceledException) { break; }
            if (line is null) break;
            line = line.Trim();
            if (line.Length == 0) continue;
            _history.Add(line);
            lineReader?.Remember(line);
            if (line is "exit" or "quit") break;
            if (line == "history") { for (var i = 0; i < _history.Count; i++) await output.WriteLineAsync($"{i + 1,4}  {_history[i]}"); continue; }
            IReadOnlyList<string> words;
            try { words = CommandLine.Split(line); }
            catch (FormatException e) { await error.WriteLineAsync($"error: {e.Message}"); continue; }
            if (words[0] == "help")
            {
                if (words.Count > 1 && !connection.Palettes.Any(p => string.Equals(p.Name, words[1], StringComparison.OrdinalIgnoreCase)))
                    await error.WriteLineAsync($"error: unknown palette '{words[1]}'");
                else foreach (var h in HelpLines(connection.Palettes, words.Count > 1 ? words[1] : null)) await output.WriteLineAsync(h);
                continue;
            }
            ParsedCommand parsed;
            try { parsed = CommandLine.Parse(connection.Palettes, words); }
            catch (FormatException e) { await error.WriteLineAsync($"error: {e.Message}"); continue; }
            if (await RunCommandAsync(connection, parsed) == ExitCodes.Connection)
            {
                // The host went away (or restarted): one reconnect, then the next command runs on it.
                await connection.DisposeAsync();
                try { connection = await PbmConnection.ConnectAsync(host, port, token, _session.Token); }
                catch (Exception e) when (e is ConnectionException or OperationCanceledException)
                {
                    return Fail(ExitCodes.Connection, e.Message);
                }
            }
        }
        if (lineReader is null) await output.WriteLineAsync(); // the last prompt's line, when input is not a terminal
        await connection.DisposeAsync();
        return ExitCodes.Ok;
    }

    private static IEnumerable<string> HelpLines(IReadOnlyList<PaletteDefinition> palettes, string? palette)
    {
        if (palette is null)
        {
            yield return "Commands: <palette> <command> [-switch value]...; help <palette> for one palette; history; exit.";
            foreach (var p in palettes) yield return $"  {p.Name,-18} {p.Description} ({string.Join(", ", p.Commands.Select(c => c.Name))})";
            yield break;
        }
        foreach (var l in CommandLine.Help(palettes, palette)) yield return l;
    }

    private async Task<string?> ReadLineAsync(string prompt)
    {
        if (lineReader is not null) return await lineReader.ReadLineAsync(prompt, _session.Token);
        await output.WriteAsync(prompt);
        await output.FlushAsync();
        var line = await input.ReadLineAsync(_session.Token);
        return line;
    }

    private int Fail(int code, string reason)
    {
        error.WriteLine($"pbm: {reason}");
        error.Flush();
        return code;
    }
}
