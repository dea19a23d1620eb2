namespace NasActors.Torch.Data;

/// <summary>
/// Reads the CIFAR-10 binary format: files of records, each one label byte (0..9) followed by 3,072 pixel bytes
/// (32x32 red, then green, then blue: CHW). The standard files are data_batch_1.bin .. data_batch_5.bin and
/// test_batch.bin in cifar-10-batches-bin/. Every fault is a <see cref="DatasetFormatException"/> naming the file.
/// </summary>
public static class Cifar10Reader
{
    public const int Channels = 3;
    public const int Height = 32;
    public const int Width = 32;
    public const int Classes = 10;
    public const int ImageBytes = Channels * Height * Width;
    public const int RecordBytes = 1 + ImageBytes;

    public static readonly string[] TrainFiles =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    public const string TestFile = "test_batch.bin";

    /// <summary>Reads and concatenates the given files, in order.</summary>
    public static ImageDataset Load(IReadOnlyList<string> files, string? name = null)
    {
        if (files.Count == 0) throw new ArgumentException("No CIFAR-10 files given.", nameof(files));
        var parts = new List<byte[]>();
        long total = 0;
        foreach (var file in files)
        {
            using var s = IdxReader.OpenFile(file);
            var data = IdxReader.ReadAll(s, file);
            if (data.Length == 0)
                throw new DatasetFormatException(file, "empty file: no CIFAR-10 records.");
            if (data.Length % RecordBytes != 0)
                throw new DatasetFormatException(file,
                    $"truncated or not CIFAR-10 binary: {data.Length} bytes is not a whole number of {RecordBytes}-byte records " +
                    $"({data.Length / RecordBytes} records and {data.Length % RecordBytes} bytes left over).");
            parts.Add(data);
            total += data.Length / RecordBytes;
        }
        var count = checked((int)total);
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new byte[count];
        var n = 0;
        for (var p = 0; p < parts.Count; p++)
        {
            var data = parts[p];
            for (var r = 0; r < data.Length / RecordBytes; r++, n++)
            {
                var label = data[r * RecordBytes];
                if (label >= Classes)
                    throw new DatasetFormatException(files[p], $"label {label} of record {r} is out of range [0, {Classes}).");
                labels[n] = label;
                Array.Copy(data, r * RecordBytes + 1, pixels, (long)n * ImageBytes, ImageBytes);
            }
        }
        return new ImageDataset(name ?? string.Join(", ", files), pixels, labels, count, Channels, Height, Width, Classes);
    }

    /// <summary>Writes a dataset of 3x32x32 images as one CIFAR-10 binary file (used by tests).</summary>
    public static void Write(ImageDataset data, string path)
    {
        data.EnsureImageShape(Channels, Height, Width);
        using var file = File.Create(path);
        for (var i = 0; i < data.Count; i++)
        {
            file.WriteByte(data.Labels[i]);
            file.Write(data.Image(i));
        }
    }
}
