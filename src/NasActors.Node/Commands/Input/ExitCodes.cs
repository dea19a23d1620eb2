using System.Net.Sockets;
using System.Reflection;
using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Core.Input;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using Npgsql;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Input;

/// <summary>
/// Exit codes of <c>nas</c>, the same as pbm's: what went wrong, for scripts, without reading the message.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The command ran and failed (a search not found or not changed, a training that failed, a file not written).</summary>
    public const int Failed = 1;
    /// <summary>Bad input: unknown command or option, a malformed or out-of-range value, a bad spec, configuration or file; nothing was done.</summary>
    public const int Usage = 2;
    /// <summary>A node or a database could not be reached.</summary>
    public const int Unreachable = 3;
    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;

    /// <summary>Set to 1 to get the stack trace of an error on standard error as well.</summary>
    public const string DebugVariable = "NAS_DEBUG";
}

/// <summary>
/// The one place that turns an exception into an exit code and a line on standard error (<c>nas: message</c>):
/// the command line's exception handler. Messages of the command-line parser are completed with what it leaves
/// out: which option a value that did not convert belongs to, and the nearest known option to an unknown one.
/// </summary>
public static class ErrorReport
{
    public static int Write(Exception exception, IReadOnlyList<string> args, TextWriter error)
    {
        var (code, message) = Classify(exception, args);
        error.WriteLine($"nas: {message}");
        if (Environment.GetEnvironmentVariable(ExitCodes.DebugVariable) is "1" or "true") error.WriteLine(exception.ToString());
        return code;
    }

    public static (int Code, string Message) Classify(Exception exception, IReadOnlyList<string> args)
    {
        var e = Unwrap(exception);
        switch (e)
        {
            case CommandParseException p: return (ExitCodes.Usage, ParseMessage(p, args));
            case CommandRuntimeException r: return (ExitCodes.Usage, RuntimeMessage(r, args));
            case OperationCanceledException: return (ExitCodes.Interrupted, "interrupted");
            // A node's start-up checks decided the code already (2: fix a setting, 3: the database was not reached).
            case NasActors.Cluster.Hosting.NodeStartException n: return (n.ExitCode, n.Message);
        }
        if (Chain(e).Any(IsUnreachable)) return (ExitCodes.Unreachable, e.Message);
        return e switch
        {
            ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException or CheckpointException
                or DatasetException or ConfigurationException => (ExitCodes.Usage, e.Message),
            _ => (ExitCodes.Failed, e.Message),
        };
    }

    private static Exception Unwrap(Exception e)
    {
        while (true)
        {
            switch (e)
            {
                case AggregateException { InnerExceptions.Count: 1 } a: e = a.InnerExceptions[0]; continue;
                case TargetInvocationException { InnerException: { } inner }: e = inner; continue;
                default: return e;
            }
        }
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException) yield return x;
    }

    private static bool IsUnreachable(Exception e) => e switch
    {
        ServiceUnreachableException or NpgsqlException or SocketException => true,
        // SQLITE_CANTOPEN: the journal's folder or file cannot be opened.
        Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 14 } => true,
        _ => false,
    };

    /// <summary>The settings type of the command the arguments name, if any.</summary>
    private static Type? SettingsOf(IReadOnlyList<string> args) =>
        args.Count > 0 ? NasApp.Commands.FirstOrDefault(c => c.Name == args[0])?.Settings : null;

    private static string ParseMessage(CommandParseException p, IReadOnlyList<string> args)
    {
        if (p.Message.StartsWith("Unknown command", StringComparison.Ordinal) && args.Count > 0)
            return $"unknown command '{args[0]}'{NearestName.DidYouMean(args[0], NasApp.Commands.Select(c => c.Name))} (nas --help lists them)";
        return Lower(p.Message);
    }

    private static string RuntimeMessage(CommandRuntimeException r, IReadOnlyList<string> args)
    {
        // "Failed to convert 'abc' to Int32." names neither the option nor what it takes.
        var m = System.Text.RegularExpressions.Regex.Match(r.Message, "^Failed to convert '(.*)' to ");
        if (m.Success && SettingsOf(args) is { } settings && OptionOfValue(args, m.Groups[1].Value) is { } option)
        {
            var type = PropertyOf(settings, option)?.PropertyType;
            type = type is null ? null : Nullable.GetUnderlyingType(type) ?? (type.IsArray ? type.GetElementType() : type);
            var whole = System.Numerics.BigInteger.TryParse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out _);
            var what = type == typeof(int) ? (whole ? $"a whole number in [{int.MinValue}, {int.MaxValue}]" : "a whole number")
                : type == typeof(long) ? (whole ? $"a whole number in [{long.MinValue}, {long.MaxValue}]" : "a whole number")
                : type == typeof(double) ? "a number"
                : type == typeof(bool) ? "true or false"
                : type?.Name ?? "a value of another type";
            return $"{option} '{m.Groups[1].Value}': not {what}";
        }
        return Lower(r.Message);
    }

    private static string Lower(string message) =>
        message.Length > 1 && char.IsUpper(message[0]) && !char.IsUpper(message[1]) ? char.ToLowerInvariant(message[0]) + message[1..] : message;

    private static PropertyInfo? PropertyOf(Type settings, string option) =>
        settings.GetProperties().FirstOrDefault(p => p.GetCustomAttribute<CommandOptionAttribute>() is { } o &&
            (o.LongNames.Any(n => "--" + n == option) || o.ShortNames.Any(n => "-" + n == option)));

    private static string? OptionOfValue(IReadOnlyList<string> args, string value)
    {
        for (var i = 1; i < args.Count; i++)
        {
            var a = args[i];
            if (a == value && args[i - 1].StartsWith('-')) return args[i - 1].Split('=', ':')[0];
            foreach (var separator in new[] { '=', ':' })
                if (a.StartsWith('-') && a.IndexOf(separator) is > 0 and var at && a[(at + 1)..] == value) return a[..at];
        }
        return null;
    }
}
