namespace NasActors.Core.Input;

/// <summary>A file name derived from input (a search id, a study name) that would leave its folder or is unusable.</summary>
public sealed class PathOutsideFolderException(string name, string folder, string reason)
    : ArgumentException($"'{ShownText(name)}' cannot name a file in {folder}: {reason}")
{
    public string Name { get; } = name;
    public string Folder { get; } = folder;

    /// <summary>Input as it may be shown in a message: control characters (NUL) escaped, long text cut.</summary>
    public static string ShownText(string s) =>
        string.Concat(s.Take(80).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) + (s.Length > 80 ? "..." : "");
}

/// <summary>
/// Every file path built from input goes through here: the result is inside the folder, whatever the name holds
/// (<c>..</c>, an absolute path, a NUL, a name longer than a file system takes).
/// </summary>
public static class ConfinedPath
{
    /// <summary>Longest file name (one path component) Linux file systems take, in bytes.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>The full path of <paramref name="relative"/> (one or more components) under <paramref name="folder"/>.</summary>
    public static string Combine(string folder, params string[] relative)
    {
        var root = Path.GetFullPath(folder);
        foreach (var part in relative)
        {
            if (string.IsNullOrWhiteSpace(part)) throw new PathOutsideFolderException(part ?? "", root, "the name is empty");
            if (part.Any(char.IsControl)) throw new PathOutsideFolderException(part, root, "the name holds a NUL or control character");
            if (Path.IsPathRooted(part)) throw new PathOutsideFolderException(part, root, "the name is an absolute path");
            foreach (var component in part.Split('/', '\\'))
            {
                if (component is "..") throw new PathOutsideFolderException(part, root, "the name climbs out of the folder (..)");
                if (System.Text.Encoding.UTF8.GetByteCount(component) > MaxNameBytes)
                    throw new PathOutsideFolderException(part, root, $"a name longer than {MaxNameBytes} bytes");
            }
        }
        var full = Path.GetFullPath(Path.Combine([root, .. relative]));
        var prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new PathOutsideFolderException(string.Join("/", relative), root, "the path leaves the folder");
        return full;
    }
}
