using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using NasActors.Pbm.Protocol;

namespace NasActors.Integration.Tests;

/// <summary>
/// The commands shown in the code blocks of a Markdown page, as a user would paste them, and a check that each names
/// a command, script, options and repository files that exist. Blocks with no language, sh, bash, shell or console
/// are read; when a block has lines starting with "$ " (a transcript), only those and its `pbm>` prompts are commands.
/// Recognised programs: the built `nas` (also as `dotnet run --project src/NasActors.Node -- ...`, `.../nas` or
/// `dotnet .../nas.dll`), `pbm` (also its interactive prompt `pbm> ...`), and scripts under deploy/; any other line
/// (dotnet build, apt-get, kubectl, ...) is checked only for the repository files it names.
/// </summary>
public static partial class DocumentedCommands
{
    public enum Program { Nas, Pbm, PbmPrompt, Script, Other }

    /// <param name="Source">file:line of the command.</param>
    /// <param name="Words">The command's shell words (quotes removed).</param>
    /// <param name="Arguments">For Nas and Pbm their arguments, for PbmPrompt the prompt's words, for Script its
    /// path then its arguments, else the words.</param>
    public sealed record Command(string Source, string Text, Program Program, IReadOnlyList<string> Words, IReadOnlyList<string> Arguments)
    {
        public override string ToString() => $"{Source}: {Text}";
    }

    private static readonly HashSet<string> CommandLanguages = ["", "sh", "bash", "shell", "console"];

    /// <summary>Top-level folders of the repository: a word starting with one of them names a file that must exist.</summary>
    private static readonly string[] RepositoryFolders = ["src/", "tests/", "hocon/", "deploy/", "docs/"];

    /// <summary>Words of the interactive pbm session that are the client's own, not palette commands.</summary>
    private static readonly HashSet<string> PbmSessionWords = ["help", "history", "exit"];

    public static IReadOnlyList<Command> Parse(string markdown, string source)
    {
        var commands = new List<Command>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = lines[i].TrimStart();
            if (!fence.StartsWith("```", StringComparison.Ordinal)) continue;
            var language = fence[3..].Trim();
            var block = new List<(int Line, string Text)>();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
                block.Add((i + 1, lines[i].TrimEnd('\r').Trim()));
            if (!CommandLanguages.Contains(language)) continue;

            var transcript = block.Any(l => l.Text.StartsWith("$ ", StringComparison.Ordinal));
            for (var j = 0; j < block.Count; j++)
            {
                var (lineNumber, text) = block[j];
                var at = $"{source}:{lineNumber}";
                if (PbmPrompt().Match(text) is { Success: true } prompt)
                {
                    var words = CommandLine.Split(prompt.Groups[1].Value);
                    if (words.Count > 0 && !PbmSessionWords.Contains(words[0]))
                        commands.Add(new Command(at, text, Program.PbmPrompt, words, words));
                    continue;
                }
                if (transcript)
                {
                    if (!text.StartsWith("$ ", StringComparison.Ordinal)) continue;
                    text = text[2..];
                }
                // A trailing backslash continues the command on the next line.
                while (text.EndsWith('\\') && j + 1 < block.Count) text = text[..^1] + " " + block[++j].Text;
                if (text.Length == 0 || text.StartsWith('#')) continue;
                foreach (var segment in Segments(Tokenize(text))) commands.Add(Classify(at, text, segment));
            }
        }
        return commands;
    }

    [GeneratedRegex(@"^\[[^\]]*\] pbm> (.*)$")]
    private static partial Regex PbmPrompt();

    /// <summary>Shell words: quotes group and are removed, an unquoted # starts a comment, and ; | & stand alone.</summary>
    public static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c is '\'' or '"')
            {
                var end = line.IndexOf(c, i + 1);
                if (end < 0) end = line.Length;
                word.Append(line, i + 1, end - i - 1);
                inWord = true;
                i = end;
            }
            else if (c == '\\' && i + 1 < line.Length) { word.Append(line[++i]); inWord = true; }
            else if (char.IsWhiteSpace(c) || c is ';' or '|' or '&')
            {
                if (inWord) tokens.Add(word.ToString());
                word.Clear();
                inWord = false;
                if (!char.IsWhiteSpace(c)) tokens.Add(c.ToString());
            }
            else if (c == '#' && !inWord) break;
            else { word.Append(c); inWord = true; }
        }
        if (inWord) tokens.Add(word.ToString());
        return tokens;
    }

    private static IEnumerable<List<string>> Segments(List<string> tokens)
    {
        var segment = new List<string>();
        foreach (var t in tokens)
        {
            if (t is ";" or "|" or "&")
            {
                if (segment.Count > 0) yield return segment;
                segment = [];
            }
            else segment.Add(t);
        }
        if (segment.Count > 0) yield return segment;
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*=")]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^(\./)?deploy/.*\.sh$")]
    private static partial Regex DeployScript();

    private static Command Classify(string source, string text, List<string> words)
    {
        // Leading VAR=value words set the environment of the command.
        var w = words.SkipWhile(x => Assignment().IsMatch(x)).ToList();
        Command Make(Program p, IEnumerable<string> args) => new(source, text, p, words, args.ToList());
        if (w.Count == 0) return Make(Program.Other, words);
        var first = w[0];
        if (first == "nas" || first.EndsWith("/nas", StringComparison.Ordinal)) return Make(Program.Nas, w.Skip(1));
        if (first == "pbm" || first.EndsWith("/pbm", StringComparison.Ordinal)) return Make(Program.Pbm, w.Skip(1));
        if (DeployScript().IsMatch(first)) return Make(Program.Script, w);
        if (first == "dotnet" && w.Count > 1)
        {
            if (w[1].EndsWith("/nas.dll", StringComparison.Ordinal)) return Make(Program.Nas, w.Skip(2));
            if (w[1].EndsWith("/pbm.dll", StringComparison.Ordinal)) return Make(Program.Pbm, w.Skip(2));
            var project = w.IndexOf("--project") is var p and >= 0 && p + 1 < w.Count ? w[p + 1] : "";
            if (w[1] == "run" && w.IndexOf("--") is var separator and >= 0)
            {
                if (project.Contains("NasActors.Node", StringComparison.Ordinal)) return Make(Program.Nas, w.Skip(separator + 1));
                if (project.Contains("NasActors.Pbm", StringComparison.Ordinal)) return Make(Program.Pbm, w.Skip(separator + 1));
            }
        }
        return Make(Program.Other, w);
    }

    /// <summary>Checks commands against the built programs, the scripts and the repository's files.</summary>
    public sealed class Checker(string repoRoot, string workFolder, IReadOnlyList<PaletteDefinition> palettes)
    {
        private readonly ConcurrentDictionary<string, Lazy<Task<(int Exit, string Output)>>> _runs = new();
        // Two processes at a time: the other integration tests run beside these on the same cores, some of them timed.
        private readonly SemaphoreSlim _processes = new(2);

        /// <summary>Null when the command holds, else the command and what is wrong with it.</summary>
        public async Task<string?> CheckAsync(Command command)
        {
            var problems = new List<string>();
            foreach (var path in RepositoryPaths(command.Words))
                if (!File.Exists(Path.Combine(repoRoot, path)) && !Directory.Exists(Path.Combine(repoRoot, path)))
                    problems.Add($"'{path}' does not exist");

            switch (command.Program)
            {
                case Program.Nas:
                {
                    var help = CommandWords(command.Arguments).Append("--help").ToArray();
                    var shown = "nas " + string.Join(' ', help);
                    var run = await RunOnceAsync(shown, () => RunNasAsync(help));
                    if (run.Exit != 0) problems.Add($"`{shown}` exited {run.Exit}: {FirstLines(run.Output)}");
                    else problems.AddRange(UnknownOptions(command.Arguments, run.Output, shown));
                    break;
                }
                case Program.Pbm:
                {
                    var run = await RunOnceAsync("pbm --help", async () => await PbmCli.RunAsync("--help") is var r ? (r.ExitCode, r.Output + r.Error) : default);
                    if (run.Exit != 0) problems.Add($"`pbm --help` exited {run.Exit}: {FirstLines(run.Output)}");
                    // pbm [host:port] [--token T] [<palette> <command> [switches]]: the palette command as the client parses it.
                    var words = new List<string>();
                    for (var i = 0; i < command.Arguments.Count; i++)
                        if (command.Arguments[i] == "--token") i++;
                        else if (words.Count > 0 || !command.Arguments[i].Contains(':')) words.Add(command.Arguments[i]);
                    if (words.Count > 0) problems.AddRange(PaletteProblems(words));
                    break;
                }
                case Program.PbmPrompt:
                    problems.AddRange(PaletteProblems(command.Arguments));
                    break;
                case Program.Script:
                {
                    var shownScript = command.Arguments[0];
                    var script = Path.Combine(repoRoot, shownScript.StartsWith("./", StringComparison.Ordinal) ? shownScript[2..] : shownScript);
                    if (!File.Exists(script)) break; // named above
                    var syntax = await RunOnceAsync("bash -n " + script, () => RunAsync("bash", ["-n", script]));
                    if (syntax.Exit != 0) problems.Add($"`bash -n {shownScript}` exited {syntax.Exit}: {FirstLines(syntax.Output)}");
                    // Scripts that take --help check their command words and options through it; the others (the GPU
                    // scripts, which need the GPU machine) get the syntax check only.
                    if (Regex.IsMatch(await File.ReadAllTextAsync(script), @"--help\)"))
                    {
                        var help = CommandWords(command.Arguments.Skip(1)).Append("--help").ToArray();
                        var shown = $"{shownScript} {string.Join(' ', help)}";
                        var run = await RunOnceAsync(shown, () => RunAsync("bash", [script, .. help]));
                        if (run.Exit != 0) problems.Add($"`{shown}` exited {run.Exit}: {FirstLines(run.Output)}");
                        else problems.AddRange(UnknownOptions(command.Arguments.Skip(1).ToList(), run.Output, shown));
                    }
                    break;
                }
            }
            return problems.Count == 0 ? null : $"{command}\n    " + string.Join("\n    ", problems);
        }

        private IEnumerable<string> PaletteProblems(IReadOnlyList<string> words)
        {
            string? problem = null;
            try { CommandLine.Parse(palettes, words); }
            catch (FormatException e) { problem = $"pbm: {e.Message}"; }
            if (problem is not null) yield return problem;
        }

        /// <summary>Each distinct process runs once; commands that need the same help share its answer.</summary>
        private Task<(int Exit, string Output)> RunOnceAsync(string key, Func<Task<(int, string)>> run) =>
            _runs.GetOrAdd(key, _ => new Lazy<Task<(int, string)>>(async () =>
            {
                await _processes.WaitAsync();
                try { return await run(); }
                finally { _processes.Release(); }
            })).Value;

        private async Task<(int, string)> RunNasAsync(string[] arguments)
        {
            using var nas = NodeProcess.Nas(workFolder, arguments);
            var exit = await nas.WaitForExitAsync(TimeSpan.FromSeconds(60));
            return (exit, nas.Output);
        }
    }

    /// <summary>The leading words before the first option: the (sub)command path and its positional arguments.</summary>
    private static IEnumerable<string> CommandWords(IEnumerable<string> arguments) => arguments.TakeWhile(a => !a.StartsWith('-'));

    [GeneratedRegex(@"^--?[A-Za-z][A-Za-z0-9-]*")]
    private static partial Regex OptionName();

    /// <summary>Options the command line uses that its help does not list.</summary>
    private static IEnumerable<string> UnknownOptions(IReadOnlyList<string> arguments, string help, string helpCommand)
    {
        foreach (var a in arguments.TakeWhile(a => a != "--"))
            if (OptionName().Match(a) is { Success: true } m && !Regex.IsMatch(help, $@"(?<![\w-]){Regex.Escape(m.Value)}(?![\w-])"))
                yield return $"option {m.Value} is not in `{helpCommand}`";
    }

    /// <summary>Files of the repository a command names (as words or option values); build outputs, globs and
    /// placeholders are left out.</summary>
    private static IEnumerable<string> RepositoryPaths(IEnumerable<string> words)
    {
        foreach (var word in words)
        {
            var value = word.StartsWith('-') && word.Contains('=') ? word[(word.IndexOf('=') + 1)..] : word;
            if (value.StartsWith("./", StringComparison.Ordinal)) value = value[2..];
            if (value.Contains("/bin/", StringComparison.Ordinal) || value.IndexOfAny(['*', '<', '$', '[']) >= 0) continue;
            if (RepositoryFolders.Any(f => value.StartsWith(f, StringComparison.Ordinal))
                || !value.Contains('/') && (value.EndsWith(".sln", StringComparison.Ordinal) || value.EndsWith(".csproj", StringComparison.Ordinal)))
                yield return value;
        }
    }

    private static string FirstLines(string output) =>
        string.Join(" / ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(4));

    private static async Task<(int, string)> RunAsync(string file, string[] arguments)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var (o, e) = (p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await o + await e);
    }
}
