using System.Buffers.Binary;
using System.IO.Compression;

namespace NasActors.Torch.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed (recognised by its content, not its
/// name): images are idx3 (magic 0x00000803: count, rows, columns, then bytes), labels idx1 (magic 0x00000801:
/// count, then bytes). Every fault is a <see cref="DatasetFormatException"/> naming the file.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an images file and a labels file into one dataset, checking counts and label range.</summary>
    public static ImageDataset Load(string imagesPath, string labelsPath, int classes = 10, string? name = null)
    {
        using var images = OpenFile(imagesPath);
        using var labels = OpenFile(labelsPath);
        return Load(images, imagesPath, labels, labelsPath, classes, name);
    }

    /// <summary>As <see cref="Load(string,string,int,string?)"/>, from streams (e.g. embedded resources).</summary>
    public static ImageDataset Load(Stream images, string imagesName, Stream labels, string labelsName, int classes = 10, string? name = null)
    {
        var (count, rows, cols, pixels) = ReadImages(images, imagesName);
        var labelBytes = ReadLabels(labels, labelsName);
        if (labelBytes.Length != count)
            throw new DatasetFormatException(labelsName, $"holds {labelBytes.Length} labels, but {imagesName} holds {count} images.");
        for (var i = 0; i < labelBytes.Length; i++)
            if (labelBytes[i] >= classes)
                throw new DatasetFormatException(labelsName, $"label {labelBytes[i]} of image {i} is out of range [0, {classes}).");
        return new ImageDataset(name ?? imagesName, pixels, labelBytes, count, 1, rows, cols, classes);
    }

    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        using var s = OpenFile(path);
        return ReadImages(s, path);
    }

    public static byte[] ReadLabels(string path)
    {
        using var s = OpenFile(path);
        return ReadLabels(s, path);
    }

    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(Stream stream, string name)
    {
        var data = ReadAll(stream, name);
        var header = Header(data, name, ImagesMagic, "images (idx3)", 3);
        var (count, rows, cols) = (header[0], header[1], header[2]);
        if (rows == 0 || cols == 0)
            throw new DatasetFormatException(name, $"images of {rows}x{cols} pixels.");
        var expected = (long)count * rows * cols;
        CheckPayload(data, name, 16, expected, $"{count} images of {rows}x{cols}");
        return (count, rows, cols, data.AsSpan(16).ToArray());
    }

    public static byte[] ReadLabels(Stream stream, string name)
    {
        var data = ReadAll(stream, name);
        var header = Header(data, name, LabelsMagic, "labels (idx1)", 1);
        CheckPayload(data, name, 8, header[0], $"{header[0]} labels");
        return data.AsSpan(8).ToArray();
    }

    private static int[] Header(byte[] data, string name, int magic, string kind, int dims)
    {
        if (data.Length < 4)
            throw new DatasetFormatException(name, $"truncated: {data.Length} bytes, too short for an IDX magic number.");
        var found = BinaryPrimitives.ReadInt32BigEndian(data);
        if (found != magic)
        {
            var hint = found == ImagesMagic ? " (an images file)" : found == LabelsMagic ? " (a labels file)" : "";
            throw new DatasetFormatException(name, $"bad magic number 0x{found:X8}{hint}; expected 0x{magic:X8} for {kind}.");
        }
        var headerSize = 4 + 4 * dims;
        if (data.Length < headerSize)
            throw new DatasetFormatException(name, $"truncated: {data.Length} bytes, shorter than the {headerSize}-byte IDX header.");
        var result = new int[dims];
        for (var i = 0; i < dims; i++)
        {
            result[i] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * i));
            if (result[i] < 0) throw new DatasetFormatException(name, $"negative dimension {result[i]} in the IDX header.");
        }
        return result;
    }

    private static void CheckPayload(byte[] data, string name, int headerSize, long expected, string what)
    {
        var actual = data.LongLength - headerSize;
        if (actual < expected)
            throw new DatasetFormatException(name, $"truncated: the header announces {what} ({expected} bytes) but only {actual} bytes follow.");
        if (actual > expected)
            throw new DatasetFormatException(name, $"{actual - expected} unexpected bytes after {what}.");
    }

    internal static Stream OpenFile(string path)
    {
        if (!File.Exists(path)) throw new DatasetNotFoundException($"Dataset file not found: {path}");
        return File.OpenRead(path);
    }

    /// <summary>The whole content, gunzipped when it starts with the gzip magic bytes (1f 8b).</summary>
    internal static byte[] ReadAll(Stream stream, string name)
    {
        var raw = new MemoryStream();
        stream.CopyTo(raw);
        var bytes = raw.ToArray();
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        try
        {
            using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            var output = new MemoryStream();
            gz.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DatasetFormatException(name, $"corrupt or truncated gzip data ({e.Message}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new DatasetFormatException(name, "truncated gzip data.", e);
        }
    }
}

/// <summary>Writes IDX files (raw, or gzip when the name ends in .gz); used to make the shipped subset and test files.</summary>
public static class IdxWriter
{
    public static void WriteImages(string path, int count, int rows, int columns, ReadOnlySpan<byte> pixels)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        Write(path, header, pixels);
    }

    public static void WriteLabels(string path, ReadOnlySpan<byte> labels)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), labels.Length);
        Write(path, header, labels);
    }

    /// <summary>Writes a single-channel dataset as an idx3 images file and an idx1 labels file.</summary>
    public static void Write(ImageDataset data, string imagesPath, string labelsPath)
    {
        if (data.Channels != 1) throw new ArgumentException($"IDX holds single-channel images; {data.Name} has {data.Channels} channels.");
        WriteImages(imagesPath, data.Count, data.Height, data.Width, data.Pixels);
        WriteLabels(labelsPath, data.Labels);
    }

    private static void Write(string path, byte[] header, ReadOnlySpan<byte> body)
    {
        using var file = File.Create(path);
        using Stream target = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.SmallestSize)
            : file;
        target.Write(header);
        target.Write(body);
    }
}
