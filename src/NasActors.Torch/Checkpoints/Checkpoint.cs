using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Checkpoints;

/// <summary>A checkpoint that cannot be used: the message names the file and the fault.</summary>
public sealed class CheckpointException(string path, string fault)
    : Exception($"Checkpoint '{path}' is refused: {fault}.")
{
    public string Path { get; } = path;
    public string Fault { get; } = fault;
}

/// <summary>Where a checkpoint lies and the SHA-256 of its bytes, which is also its identity and file name.</summary>
public sealed record CheckpointInfo(string Sha256, string Path, long Step);

/// <summary>
/// The one checkpoint format: a magic header, a JSON metadata block, named tensors (float32 or int64) and a
/// SHA-256 trailer over everything before it. Written to a temporary file, flushed, then renamed to
/// <c>&lt;sha256&gt;.nasckpt</c>, so a crash never leaves a half-written file under a valid name; a truncated or
/// corrupted file fails the trailer check and is refused.
/// </summary>
public static class Checkpoint
{
    private static readonly byte[] Magic = "NASCKPT1"u8.ToArray();
    private const int HashLength = 32;
    public const string Extension = ".nasckpt";

    /// <summary>Writes atomically into a folder and returns the content address.</summary>
    public static CheckpointInfo Save(string folder, long step, IReadOnlyDictionary<string, string> metadata,
        IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        Directory.CreateDirectory(folder);
        var temp = System.IO.Path.Combine(folder, $".tmp-{Guid.NewGuid():N}");
        string sha;
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var hashing = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var body = new HashingWriter(file, hashing);
                body.Write(Magic);
                var json = JsonSerializer.SerializeToUtf8Bytes(metadata);
                body.WriteInt32(json.Length);
                body.Write(json);
                var list = tensors.ToList();
                body.WriteInt32(list.Count);
                foreach (var (name, tensor) in list) WriteTensor(body, name, tensor);
                var digest = hashing.GetHashAndReset();
                file.Write(digest);
                file.Flush(flushToDisk: true);
            }
            sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(temp)));
            var target = System.IO.Path.Combine(folder, sha + Extension);
            File.Move(temp, target, overwrite: true);
            return new CheckpointInfo(sha, target, step);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>SHA-256 of a file's bytes, lower-case hex.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Reads and verifies a checkpoint; tensors are created on the CPU, detached from any dispose scope.</summary>
    /// <summary>
    /// The metadata block alone (space, method, step), without the tensors or the hash check: for a command to check
    /// its options against a checkpoint before it does any work. <see cref="Load"/> still verifies the whole file.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "the file does not exist");
        using var file = File.OpenRead(path);
        var head = new byte[Magic.Length + 4];
        if (file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) throw new CheckpointException(path, "it is truncated");
        if (!head.AsSpan(0, Magic.Length).SequenceEqual(Magic)) throw new CheckpointException(path, "it does not start with the NASCKPT1 magic (not a NasActors checkpoint)");
        var length = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(Magic.Length));
        if (length < 0 || length > file.Length - head.Length) throw new CheckpointException(path, "its metadata length is out of range");
        var json = new byte[length];
        file.ReadExactly(json);
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? throw new CheckpointException(path, "its metadata is empty");
        }
        catch (JsonException e) { throw new CheckpointException(path, $"its metadata is not JSON: {e.Message}"); }
    }

    public static LoadedCheckpoint Load(string path, string? expectedSha256 = null)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "the file does not exist");
        var bytes = File.ReadAllBytes(path);
        if (expectedSha256 is not null)
        {
            var actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
            if (!actual.Equals(expectedSha256, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException(path, $"its SHA-256 is {actual}, expected {expectedSha256}");
        }
        if (bytes.Length < Magic.Length + 8 + HashLength) throw new CheckpointException(path, $"it is truncated ({bytes.Length} bytes)");
        if (!bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) throw new CheckpointException(path, "it does not start with the NASCKPT1 magic (not a NasActors checkpoint)");
        var content = bytes.AsSpan(0, bytes.Length - HashLength);
        var trailer = bytes.AsSpan(bytes.Length - HashLength);
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(trailer))
            throw new CheckpointException(path, "its content does not match its SHA-256 trailer (corrupted or truncated)");

        var reader = new Reader(bytes, bytes.Length - HashLength, path);
        reader.Skip(Magic.Length);
        var jsonLength = reader.Int32("metadata length");
        var metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.Bytes(jsonLength, "metadata"))
                       ?? throw new CheckpointException(path, "its metadata is empty");
        var count = reader.Int32("tensor count");
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var (name, tensor) = ReadTensor(reader);
                if (!tensors.TryAdd(name, tensor)) throw new CheckpointException(path, $"tensor '{name}' appears twice");
            }
            if (reader.Position != bytes.Length - HashLength) throw new CheckpointException(path, "it has bytes after the last tensor");
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return new LoadedCheckpoint(path, Convert.ToHexStringLower(SHA256.HashData(bytes)), metadata, tensors);
    }

    private static void WriteTensor(HashingWriter w, string name, Tensor tensor)
    {
        using var cpu = tensor.detach().cpu().contiguous();
        var nameBytes = Encoding.UTF8.GetBytes(name);
        w.WriteInt32(nameBytes.Length);
        w.Write(nameBytes);
        var (code, elementSize) = cpu.dtype switch
        {
            ScalarType.Float32 => ((byte)1, 4),
            ScalarType.Int64 => ((byte)2, 8),
            var other => throw new NotSupportedException($"Tensor '{name}' has dtype {other}; checkpoints hold float32 and int64."),
        };
        w.Write([code]);
        w.WriteInt32(cpu.shape.Length);
        foreach (var d in cpu.shape) w.WriteInt64(d);
        var data = cpu.bytes;
        if (data.Length != cpu.numel() * elementSize) throw new InvalidOperationException($"Tensor '{name}' byte size mismatch.");
        w.WriteInt64(data.Length);
        w.Write(data);
    }

    private static (string, Tensor) ReadTensor(Reader r)
    {
        var name = Encoding.UTF8.GetString(r.Bytes(r.Int32("tensor name length"), "tensor name"));
        var code = r.Bytes(1, $"dtype of '{name}'")[0];
        var (dtype, elementSize) = code switch
        {
            1 => (ScalarType.Float32, 4),
            2 => (ScalarType.Int64, 8),
            _ => throw r.Fault($"tensor '{name}' has unknown dtype code {code}"),
        };
        var rank = r.Int32($"rank of '{name}'");
        if (rank is < 0 or > 8) throw r.Fault($"tensor '{name}' has rank {rank}");
        var shape = new long[rank];
        long elements = 1;
        for (var i = 0; i < rank; i++)
        {
            shape[i] = r.Int64($"shape of '{name}'");
            if (shape[i] < 0) throw r.Fault($"tensor '{name}' has a negative dimension");
            elements *= shape[i];
        }
        var length = r.Int64($"byte length of '{name}'");
        if (length != elements * elementSize) throw r.Fault($"tensor '{name}' declares {length} bytes for {elements} elements");
        var data = r.Bytes(checked((int)length), $"data of '{name}'");
        var t = dtype == ScalarType.Float32
            ? torch.tensor(MemoryMarshalCast<float>(data), shape)
            : torch.tensor(MemoryMarshalCast<long>(data), shape);
        return (name, t.DetachFromDisposeScope());
    }

    private static T[] MemoryMarshalCast<T>(ReadOnlySpan<byte> data) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(data).ToArray();

    private sealed class HashingWriter(Stream stream, IncrementalHash hash)
    {
        private readonly byte[] _scratch = new byte[8];

        public void Write(ReadOnlySpan<byte> bytes)
        {
            stream.Write(bytes);
            hash.AppendData(bytes);
        }

        public void WriteInt32(int v)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_scratch, v);
            Write(_scratch.AsSpan(0, 4));
        }

        public void WriteInt64(long v)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_scratch, v);
            Write(_scratch.AsSpan(0, 8));
        }
    }

    private sealed class Reader(byte[] bytes, int end, string path)
    {
        public int Position { get; private set; }

        public void Skip(int n) => Position += n;

        public CheckpointException Fault(string fault) => new(path, fault);

        public ReadOnlySpan<byte> Bytes(int n, string what)
        {
            if (n < 0 || Position + (long)n > end) throw Fault($"it ends inside the {what} (offset {Position})");
            var span = bytes.AsSpan(Position, n);
            Position += n;
            return span;
        }

        public int Int32(string what) => BinaryPrimitives.ReadInt32LittleEndian(Bytes(4, what));
        public long Int64(string what) => BinaryPrimitives.ReadInt64LittleEndian(Bytes(8, what));
    }
}

/// <summary>A verified checkpoint in memory. Dispose to free its tensors.</summary>
public sealed class LoadedCheckpoint(string path, string sha256, IReadOnlyDictionary<string, string> metadata,
    IReadOnlyDictionary<string, Tensor> tensors) : IDisposable
{
    public string Path { get; } = path;
    public string Sha256 { get; } = sha256;
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;
    public IReadOnlyDictionary<string, Tensor> Tensors { get; } = tensors;

    public string Require(string key) =>
        Metadata.TryGetValue(key, out var v) ? v : throw new CheckpointException(Path, $"its metadata lacks '{key}'");

    /// <summary>Tensors whose names start with a prefix, with the prefix removed.</summary>
    public IReadOnlyDictionary<string, Tensor> WithPrefix(string prefix) =>
        Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
    }
}
