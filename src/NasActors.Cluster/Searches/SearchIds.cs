using System.Text.RegularExpressions;

namespace NasActors.Cluster.Searches;

/// <summary>A search id that is refused; the message says which rule it breaks.</summary>
public sealed class InvalidSearchIdException(string id, string reason)
    : ArgumentException($"search id '{Core.Input.PathOutsideFolderException.ShownText(id)}' {reason}")
{
    public string Id { get; } = id;
}

/// <summary>
/// The one rule for search ids, checked where a search is submitted (the command line and the search actor, so a
/// submit from another node is checked too): 1 to 64 characters, letters, digits, '.', '_' and '-', starting with a
/// letter or digit. An id names journal streams and folders (exports, checkpoints), so it never holds '/', '..' or a
/// character a file system or a shell treats specially.
/// </summary>
public static partial class SearchIds
{
    public const int MaxLength = 64;
    public const string Rule = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Shape();

    /// <summary>Why the id is refused, or null when it is a valid id.</summary>
    public static string? Problem(string? id) =>
        string.IsNullOrEmpty(id) ? "is empty"
        : id.Length > MaxLength ? $"is {id.Length} characters long (at most {MaxLength})"
        : !char.IsAsciiLetterOrDigit(id[0]) ? "must start with a letter or digit"
        : !Shape().IsMatch(id) ? $"holds '{Core.Input.PathOutsideFolderException.ShownText(id.First(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')).ToString())}' (allowed: letters, digits, '.', '_', '-')"
        : id.Contains("..", StringComparison.Ordinal) ? "holds '..'"
        : null;

    public static bool IsValid(string? id) => Problem(id) is null;

    /// <summary>The id, or <see cref="InvalidSearchIdException"/> naming the rule it breaks.</summary>
    public static string Validate(string? id) => Problem(id) is { } p ? throw new InvalidSearchIdException(id ?? "", p) : id!;
}
