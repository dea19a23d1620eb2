using System.Globalization;
using System.Reflection;
using NasActors.Core.Input;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Input;

/// <summary>
/// What the parser is told to refuse, found before it runs, with better words: an unknown option (with the nearest
/// known one) and an option given without its value. Spectre.Console.Cli's strict mode refuses the first without a
/// suggestion, and on a parse error it tries the arguments again with a placeholder inserted, which a value-less
/// option like <c>-o</c> then takes as its value (a folder named after the placeholder).
/// </summary>
public static class CommandLineScan
{
    /// <summary>The first problem of the arguments of a command with this settings class, or null.</summary>
    public static string? Problem(string command, Type settings, IReadOnlyList<string> args)
    {
        var options = Options(settings);
        for (var i = 1; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--") break;
            if (!IsOption(a)) continue;
            var name = a.Split('=', ':')[0];
            var attached = name.Length < a.Length;
            if (!name.StartsWith("--", StringComparison.Ordinal) && name.Length > 2) (name, attached) = (name[..2], true); // -o<value>, -abc
            if (name is "--help" or "-h" or "-?") return null;
            if (!options.TryGetValue(name, out var takesValue))
            {
                var known = options.Keys.Where(k => k.StartsWith("--", StringComparison.Ordinal)).Select(k => k[2..]);
                return $"unknown option {name}{NearestName.DidYouMean(name.TrimStart('-'), known, "--")} (nas {command} --help lists them)";
            }
            if (takesValue && !attached && (i + 1 >= args.Count || IsOption(args[i + 1])))
                return $"{name} needs a value (nas {command} --help)";
        }
        return null;
    }

    /// <summary>Every spelling of every option (<c>--steps</c>, <c>-o</c>) and whether it takes a value.</summary>
    public static IReadOnlyDictionary<string, bool> Options(Type settings)
    {
        var result = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var p in settings.GetProperties())
            if (p.GetCustomAttribute<CommandOptionAttribute>() is { } o)
                foreach (var n in o.LongNames.Select(n => "--" + n).Concat(o.ShortNames.Select(n => "-" + n)))
                    result[n] = p.PropertyType != typeof(bool);
        return result;
    }

    /// <summary>An option token; a negative number or a lone '-' is a value.</summary>
    private static bool IsOption(string a) =>
        a.Length >= 2 && a[0] == '-' && !double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
