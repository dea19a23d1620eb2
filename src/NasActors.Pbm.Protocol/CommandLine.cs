using System.Globalization;
using System.Text;

namespace NasActors.Pbm.Protocol;

/// <summary>A command line checked against the palettes: the arguments by name, defaults filled in.</summary>
public sealed record ParsedCommand(string Palette, string Command, IReadOnlyDictionary<string, string> Arguments, bool Streams);

/// <summary>The grammar <c>&lt;palette&gt; &lt;command&gt; [-switch value | --name value | -flag]...</c>, used by both sides.</summary>
public static class CommandLine
{
    /// <summary>Splits an interactive line into words; double or single quotes group words.</summary>
    public static IReadOnlyList<string> Split(string line)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        char? quote = null;
        var inWord = false;
        foreach (var c in line)
        {
            if (quote is { } q)
            {
                if (c == q) quote = null; else current.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(current.ToString()); current.Clear(); inWord = false; }
            }
            else { current.Append(c); inWord = true; }
        }
        if (quote is not null) throw new FormatException("unterminated quote");
        if (inWord) words.Add(current.ToString());
        return words;
    }

    /// <summary>Parses words against the catalogue; the error is one line that names what is wrong.</summary>
    public static ParsedCommand Parse(IReadOnlyList<PaletteDefinition> palettes, IReadOnlyList<string> words)
    {
        if (words.Count == 0) throw new FormatException("no command given");
        var (palette, command) = Find(palettes, words[0], words.Count < 2 ? null : words[1]);
        return Bind(palette.Name, command, words.Skip(2).ToArray());
    }

    /// <summary>The host's check of an <see cref="Execute"/>: known palette, command and switches, mandatory ones present.</summary>
    public static ParsedCommand Check(IReadOnlyList<PaletteDefinition> palettes, string palette, string command,
        IReadOnlyDictionary<string, string>? arguments)
    {
        var (p, c) = Find(palettes, palette, command);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments ?? new Dictionary<string, string>())
        {
            var arg = c.Arguments.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new FormatException($"{p.Name} {c.Name}: unknown switch '--{name}'{Known(c)}");
            values[arg.Name] = value ?? throw new FormatException($"{p.Name} {c.Name}: switch '--{name}' needs a value");
        }
        return Complete(p.Name, c, values);
    }

    private static (PaletteDefinition, CommandDefinition) Find(IReadOnlyList<PaletteDefinition> palettes, string palette, string? command)
    {
        var p = palettes.FirstOrDefault(x => string.Equals(x.Name, palette, StringComparison.OrdinalIgnoreCase))
            ?? throw new FormatException($"unknown palette '{palette}' (known: {string.Join(", ", palettes.Select(x => x.Name))})");
        if (command is null) throw new FormatException($"palette '{p.Name}' needs a command ({string.Join(", ", p.Commands.Select(x => x.Name))})");
        var c = p.Commands.FirstOrDefault(x => string.Equals(x.Name, command, StringComparison.OrdinalIgnoreCase))
            ?? throw new FormatException($"unknown command '{command}' in palette '{p.Name}' (known: {string.Join(", ", p.Commands.Select(x => x.Name))})");
        return (p, c);
    }

    private static ParsedCommand Bind(string palette, CommandDefinition command, IReadOnlyList<string> rest)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < rest.Count; i++)
        {
            var word = rest[i];
            ArgumentDefinition? arg = null;
            if (word.StartsWith("--", StringComparison.Ordinal) && word.Length > 2)
                arg = command.Arguments.FirstOrDefault(a => string.Equals(a.Name, word[2..], StringComparison.OrdinalIgnoreCase));
            else if (word.StartsWith('-') && word.Length > 1)
                arg = command.Arguments.FirstOrDefault(a => string.Equals(a.Short, word[1..], StringComparison.Ordinal))
                      ?? command.Arguments.FirstOrDefault(a => string.Equals(a.Name, word[1..], StringComparison.OrdinalIgnoreCase));
            else throw new FormatException($"{palette} {command.Name}: unexpected '{word}' (switches start with -)");
            if (arg is null) throw new FormatException($"{palette} {command.Name}: unknown switch '{word}'{Known(command)}");
            if (arg.IsFlag) { values[arg.Name] = "true"; continue; }
            if (i + 1 >= rest.Count) throw new FormatException($"{palette} {command.Name}: switch '{word}' needs a value");
            values[arg.Name] = rest[++i];
        }
        return Complete(palette, command, values);
    }

    private static ParsedCommand Complete(string palette, CommandDefinition command, Dictionary<string, string> values)
    {
        foreach (var a in command.Arguments)
        {
            if (values.ContainsKey(a.Name)) continue;
            if (a.Mandatory) throw new FormatException($"{palette} {command.Name}: missing mandatory switch {a.Usage}");
            if (a.Default is not null) values[a.Name] = a.Default;
        }
        return new ParsedCommand(palette, command.Name, values, command.Streams);
    }

    private static string Known(CommandDefinition c) =>
        c.Arguments.Count == 0 ? " (it takes none)" : $" (known: {string.Join(", ", c.Arguments.Select(a => a.Usage))})";

    /// <summary>Parses <c>host:port</c> (IPv6 in brackets); the error names what is malformed.</summary>
    public static (string Host, int Port) ParseEndpoint(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) throw new FormatException($"malformed address '{text}': expected host:port");
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@' or '[' or ']'))
            throw new FormatException($"malformed address '{text}': bad host '{host}'");
        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new FormatException($"malformed address '{text}': port must be 1-65535");
        return (host, port);
    }

    /// <summary>Help text of a palette, or of every palette, from the catalogue.</summary>
    public static IEnumerable<string> Help(IReadOnlyList<PaletteDefinition> palettes, string? palette = null)
    {
        foreach (var p in palettes.Where(p => palette is null || string.Equals(p.Name, palette, StringComparison.OrdinalIgnoreCase)))
        {
            yield return $"{p.Name}: {p.Description}";
            foreach (var c in p.Commands)
            {
                var args = string.Concat(c.Arguments.Select(a => a.Mandatory ? $" {a.Usage}" : $" [{a.Usage}]"));
                yield return $"  {p.Name} {c.Name}{args}  {c.Description}{(c.Streams ? " (streams until Ctrl+C)" : "")}";
                foreach (var a in c.Arguments)
                    yield return $"      {a.Usage}: {a.Description}{(a.Mandatory ? " (mandatory)" : "")}{(a.Default is null ? "" : $" (default {a.Default})")}";
            }
        }
    }
}
