using System.Globalization;
using System.Text.RegularExpressions;
using NasActors.Cluster.Searches;
using NasActors.Core.Input;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;

namespace NasActors.Node.Commands.Input;

/// <summary>
/// The one validation mechanism of the command line: every option of every command carries one of these checks
/// (a test holds every settings class to it). Spectre.Console.Cli runs them while it binds the options, on given
/// and default values alike, before a command does anything; a refusal names the option and the value. Checks that
/// relate several options are the settings' own <c>Validate()</c>.
/// </summary>
public abstract class OptionCheckAttribute() : ParameterValidationAttribute("")
{
    public sealed override ValidationResult Validate(CommandParameterContext context)
    {
        if (context.Value is null) return ValidationResult.Success();
        var values = context.Value is Array array ? array.Cast<object?>().Where(v => v is not null).ToArray() : [context.Value];
        foreach (var value in values)
            if (Problem(value!) is { } problem)
                return ValidationResult.Error($"{NameOf(context.Parameter)} '{PathOutsideFolderException.ShownText(Text(value!))}': {problem}");
        return ValidationResult.Success();
    }

    /// <summary>Why the value is refused, or null.</summary>
    protected abstract string? Problem(object value);

    /// <summary>How the option is written on the command line: <c>--steps</c>, <c>-o</c>, or an argument's <c>&lt;SPEC&gt;</c>.</summary>
    public static string NameOf(ICommandParameterInfo parameter) => parameter switch
    {
        ICommandOption { LongNames.Count: > 0 } o => "--" + o.LongNames[0],
        ICommandOption { ShortNames.Count: > 0 } o => "-" + o.ShortNames[0],
        ICommandArgument a => $"<{a.Value}>",
        _ => parameter.PropertyName,
    };

    protected static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";

    protected static string Show(double x) => x.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A finite number in [min, max] (or with a bound excluded).</summary>
public class RangeCheckAttribute(double min, double max) : OptionCheckAttribute
{
    public bool MinExcluded { get; set; }
    public bool MaxExcluded { get; set; }

    protected virtual double Max => max;
    /// <summary>Where the upper bound comes from, when the number alone does not say it.</summary>
    protected virtual string? MaxReason => null;

    protected override string? Problem(object value)
    {
        var x = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        if (!double.IsFinite(x)) return "must be a finite number";
        var tooLow = MinExcluded ? x <= min : x < min;
        var tooHigh = MaxExcluded ? x >= Max : x > Max;
        if (!tooLow && !tooHigh) return null;
        if (Max >= long.MaxValue) return MinExcluded ? $"must be more than {Show(min)}" : $"must be at least {Show(min)}";
        var range = $"{(MinExcluded ? "(" : "[")}{Show(min)}, {Show(Max)}{(MaxExcluded ? ")" : "]")}";
        return MaxReason is { } why ? $"must be in {range} ({why})" : $"must be in {range}";
    }
}

/// <summary>0 or more.</summary>
public sealed class NonNegativeAttribute() : RangeCheckAttribute(0, long.MaxValue);

/// <summary>1 or more (counts, sizes, steps), at most <paramref name="max"/>.</summary>
public sealed class AtLeastOneAttribute(double max = long.MaxValue) : RangeCheckAttribute(1, max);

/// <summary>More than 0 (rates, costs).</summary>
public sealed class PositiveAttribute : RangeCheckAttribute
{
    public PositiveAttribute() : base(0, long.MaxValue) => MinExcluded = true;
}

/// <summary>Threads or workers: 0 (the default) up to four per processor (at least 16), never more than 1024.</summary>
public sealed class ThreadCountAttribute(int min = 0) : RangeCheckAttribute(min, 0)
{
    public static int Limit => Math.Min(1024, Math.Max(16, 4 * Environment.ProcessorCount));
    protected override double Max => Limit;
    protected override string MaxReason => $"4 per processor of this machine's {Environment.ProcessorCount}, at least 16, at most 1024";
}

/// <summary>A port number: 0 (any free port) to 65535.</summary>
public sealed class PortAttribute() : RangeCheckAttribute(0, 65535);

/// <summary>One of a fixed set of words (case-insensitive), suggesting the nearest.</summary>
public class OneOfAttribute(params string[] allowed) : OptionCheckAttribute
{
    protected virtual IReadOnlyList<string> Allowed => allowed;

    protected override string? Problem(object value)
    {
        var s = Text(value).Trim();
        if (Allowed.Contains(s, StringComparer.OrdinalIgnoreCase)) return null;
        return $"not one of {string.Join(", ", Allowed)}{NearestName.DidYouMean(s, Allowed)}";
    }
}

/// <summary>A block space by name.</summary>
public sealed class KnownSpaceAttribute() : OneOfAttribute
{
    protected override IReadOnlyList<string> Allowed => NasActors.Core.Spaces.Blocks.BlockSpaces.Names;
}

/// <summary>A supernet training method registered in the torch layer.</summary>
public sealed class KnownTrainingMethodAttribute() : OneOfAttribute
{
    protected override IReadOnlyList<string> Allowed => NasActors.Torch.Methods.TrainingMethods.Names;
}

/// <summary>A dataset by name.</summary>
public sealed class KnownDatasetAttribute() : OneOfAttribute
{
    protected override IReadOnlyList<string> Allowed => NasActors.Torch.Data.DatasetCatalog.Names;
}

/// <summary>A comma-separated list of known words, none empty, at least one.</summary>
public class ListOfAttribute(params string[] allowed) : OptionCheckAttribute
{
    public bool EmptyAllowed { get; init; }
    protected virtual IReadOnlyList<string> Allowed => allowed;

    protected override string? Problem(object value)
    {
        var s = Text(value);
        if (s.Trim().Length == 0) return EmptyAllowed ? null : "is empty";
        var items = s.Split(',');
        if (items.Any(i => i.Trim().Length == 0)) return "has an empty item (two commas, or a comma at an end)";
        foreach (var item in items.Select(i => i.Trim()))
            if (!Allowed.Contains(item, StringComparer.OrdinalIgnoreCase))
                return $"'{item}' is not one of {string.Join(", ", Allowed)}{NearestName.DidYouMean(item, Allowed)}";
        if (items.Select(i => i.Trim().ToLowerInvariant()).Distinct().Count() != items.Length) return "names an item twice";
        return null;
    }
}

/// <summary>Controllers of <c>nas bench</c>.</summary>
public sealed class KnownControllersAttribute() : ListOfAttribute
{
    protected override IReadOnlyList<string> Allowed => NasActors.Core.Controllers.ControllerNames.All;
}

/// <summary>Training methods registered in the torch layer (<c>nas method-study --methods</c>).</summary>
public sealed class KnownTrainingMethodsAttribute() : ListOfAttribute
{
    protected override IReadOnlyList<string> Allowed => NasActors.Torch.Methods.TrainingMethods.Names;
}

/// <summary>Comma-separated METHOD=LR pairs: registered methods, positive finite learning rates.</summary>
public sealed class MethodLearningRatesAttribute : OptionCheckAttribute
{
    protected override string? Problem(object value)
    {
        try
        {
            return NasActors.Torch.Ranking.MethodStudyOptions.ParseLearningRates(Text(value)).Count == 0 ? "is empty" : null;
        }
        catch (ArgumentException e) { return e.Message; }
    }
}

/// <summary>Text that must hold something (a column name, a key): not empty, no control characters.</summary>
public sealed class NotEmptyAttribute : OptionCheckAttribute
{
    protected override string? Problem(object value) =>
        Text(value).Trim().Length == 0 ? "is empty"
        : Text(value).Any(char.IsControl) ? "holds a NUL or control character"
        : null;
}

/// <summary>What a command writes at a path option: nothing (an input), a file, or files in a folder.</summary>
public enum OutputPath { None, File, Folder }

/// <summary>
/// A file or folder path: not empty, no NUL, at most 4096 bytes, no component longer than 255 bytes. An output
/// (<see cref="Output"/>) is also checked where it will be written, before the command measures or trains anything:
/// a file is not a folder, a folder is not a file, no file stands where a folder of the path must be, and the nearest
/// existing folder takes new files (a probe file, created and removed at once: it catches read-only mounts, /proc and
/// permissions alike); an existing output file must be writable. Nothing is left behind.
/// </summary>
public sealed class PathTextAttribute : OptionCheckAttribute
{
    public const int MaxBytes = 4096;
    /// <summary>'-' means standard output.</summary>
    public bool DashAllowed { get; init; }
    public OutputPath Output { get; init; }

    protected override string? Problem(object value)
    {
        var s = Text(value);
        if (s.Trim().Length == 0) return "is empty";
        if (DashAllowed && s == "-") return null;
        if (s.Any(char.IsControl)) return "holds a NUL or control character";
        if (System.Text.Encoding.UTF8.GetByteCount(s) > MaxBytes) return $"is longer than {MaxBytes} bytes";
        if (s.Split('/').Any(c => System.Text.Encoding.UTF8.GetByteCount(c) > ConfinedPath.MaxNameBytes))
            return $"has a name longer than {ConfinedPath.MaxNameBytes} bytes";
        return Output == OutputPath.None ? null : WriteProblem(Path.GetFullPath(s), Output);
    }

    private static string? WriteProblem(string full, OutputPath kind)
    {
        if (kind == OutputPath.File && Directory.Exists(full)) return "is a folder; give a file name";
        if (kind == OutputPath.Folder && File.Exists(full)) return "is a file; give a folder";
        var folder = kind == OutputPath.Folder ? full : Path.GetDirectoryName(full);
        while (folder is not null && !Directory.Exists(folder))
        {
            if (File.Exists(folder)) return $"'{folder}' is a file, not a folder";
            folder = Path.GetDirectoryName(folder);
        }
        if (folder is null) return "has no existing folder above it";
        try
        {
            if (kind == OutputPath.File && File.Exists(full))
                using (new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) { } // opened, not changed
            else
                using (new FileStream(Path.Combine(folder, $".nas-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}"),
                           FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return kind == OutputPath.File && File.Exists(full)
                ? $"cannot be written ({e.Message})"
                : $"cannot be written: the folder '{folder}' takes no new files{(e is UnauthorizedAccessException ? " (permission denied)" : "")}";
        }
        return null;
    }
}

/// <summary>A search id (<see cref="SearchIds"/>), or the prefix of the ids a command makes from it.</summary>
public sealed class SearchIdTextAttribute : OptionCheckAttribute
{
    /// <summary>Characters the command appends to make ids (rank-study: "-standalone").</summary>
    public int Suffix { get; init; }

    protected override string? Problem(object value)
    {
        var s = Text(value);
        if (SearchIds.Problem(s) is { } p) return $"{p} (a search id is {SearchIds.Rule})";
        return s.Length + Suffix > SearchIds.MaxLength ? $"is longer than {SearchIds.MaxLength - Suffix} characters (the search ids made from it take {Suffix} more)" : null;
    }
}

/// <summary>host:port of a node (port 1-65535).</summary>
public sealed partial class HostPortAttribute : OptionCheckAttribute
{
    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$")]
    private static partial Regex Shape();

    protected override string? Problem(object value)
    {
        var m = Shape().Match(Text(value).Trim());
        if (!m.Success) return "is not host:port (e.g. 127.0.0.1:4053)";
        return int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) is >= 1 and <= 65535 ? null : "the port must be in [1, 65535]";
    }
}

/// <summary>key=value (repeatable options such as --set and --max): a key that is a name, then '=', then a value.</summary>
public sealed partial class KeyValueAttribute : OptionCheckAttribute
{
    /// <summary>Also HOCON's key : value and key { ... } (node configuration overrides).</summary>
    public bool Hocon { get; init; }

    [GeneratedRegex(@"^\s*[A-Za-z_][A-Za-z0-9_.:-]*\s*=\s*\S")]
    private static partial Regex Plain();

    [GeneratedRegex(@"^\s*[A-Za-z_][A-Za-z0-9_.-]*\s*(=|:|\{)\s*\S")]
    private static partial Regex HoconShape();

    protected override string? Problem(object value) =>
        Text(value).Any(char.IsControl) ? "holds a NUL or control character"
        : !(Hocon ? HoconShape() : Plain()).IsMatch(Text(value)) ? (Hocon ? "is not key=value (e.g. nas.port=4054)" : "is not key=value with a value")
        // Akka's parser takes an unclosed brace or string silently (the override then does nothing): the files' check.
        : Hocon ? NasActors.Cluster.Specs.HoconSyntax.Problem(Text(value))
        : null;
}

/// <summary>A tensor device: cpu, cuda, cuda:N or auto.</summary>
public sealed partial class DeviceNameAttribute : OptionCheckAttribute
{
    [GeneratedRegex(@"^(cpu|auto|cuda(:\d{1,3})?)$", RegexOptions.IgnoreCase)]
    private static partial Regex Shape();

    protected override string? Problem(object value) => Shape().IsMatch(Text(value).Trim()) ? null : "use cpu, cuda, cuda:N or auto";
}

/// <summary>An architecture's text (checked against the space once the space is known): digits, commas, parentheses, cell syntax.</summary>
public sealed class ArchitectureTextAttribute : OptionCheckAttribute
{
    protected override string? Problem(object value)
    {
        var s = Text(value).Trim();
        if (s.Length == 0) return "is empty";
        if (s.Length > 1024) return "is longer than 1024 characters";
        return s.Any(char.IsControl) ? "holds a NUL or control character" : null;
    }
}
