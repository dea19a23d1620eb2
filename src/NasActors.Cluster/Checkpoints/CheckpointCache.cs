using System.Security.Cryptography;

namespace NasActors.Cluster.Checkpoints;

/// <summary>
/// A node's local checkpoint folder, content-addressed: a checkpoint lies in <c>&lt;sha256&gt;.&lt;ext&gt;</c>
/// (<c>.nasckpt</c> from the torch trainer, <c>.stub</c> from the stub trainer). Files arrive through a temporary
/// file that is renamed only after its SHA-256 was checked, so a name in the folder always matches its content;
/// temporary files start with a dot and are never found.
/// </summary>
public sealed class CheckpointCache(string folder)
{
    public const string DefaultExtension = ".nasckpt";

    public string Folder { get; } = Path.GetFullPath(folder);

    public static bool IsSha256(string s) => s.Length == 64 && s.All(char.IsAsciiHexDigit);

    /// <summary>The file holding this checkpoint in the folder, or null.</summary>
    public string? Find(string sha256)
    {
        if (!IsSha256(sha256) || !Directory.Exists(Folder)) return null;
        var sha = sha256.ToLowerInvariant();
        return Directory.EnumerateFiles(Folder, sha + ".*")
            .Where(f => IsCheckpointName(Path.GetFileName(f), sha))
            .OrderBy(f => f, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private static bool IsCheckpointName(string name, string sha) =>
        name.StartsWith(sha, StringComparison.OrdinalIgnoreCase) && SafeExtension(name[sha.Length..]) is not null;

    /// <summary>A file extension as a peer named it, if it is a plain one (dot, 1-16 letters or digits).</summary>
    public static string? SafeExtension(string extension) =>
        extension.Length is >= 2 and <= 17 && extension[0] == '.' && extension[1..].All(char.IsAsciiLetterOrDigit)
            ? extension.ToLowerInvariant()
            : null;

    /// <summary>A new temporary file name in the folder (created by the caller).</summary>
    public string NewTemporaryPath()
    {
        Directory.CreateDirectory(Folder);
        return Path.Combine(Folder, $".fetch-{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Files in the folder that are not temporary (what a reader may find).</summary>
    public IReadOnlyList<string> Files() => Directory.Exists(Folder)
        ? Directory.EnumerateFiles(Folder).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal).ToArray()
        : [];

    /// <summary>Temporary files in the folder (left only while a transfer runs).</summary>
    public IReadOnlyList<string> TemporaryFiles() => Directory.Exists(Folder)
        ? Directory.EnumerateFiles(Folder, ".fetch-*").Order(StringComparer.Ordinal).ToArray()
        : [];

    /// <summary>Moves a verified temporary file to its content address (atomic rename in the same folder).</summary>
    public string Install(string temporaryPath, string sha256, string extension)
    {
        var target = Path.Combine(Folder, sha256.ToLowerInvariant() + (SafeExtension(extension) ?? DefaultExtension));
        File.Move(temporaryPath, target, overwrite: true);
        return target;
    }

    /// <summary>SHA-256 of a file, lower-case hex.</summary>
    public static async Task<string> Sha256OfAsync(string path, CancellationToken cancel)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancel).ConfigureAwait(false));
    }
}
