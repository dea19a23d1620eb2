using NasActors.Torch.Data;

namespace NasActors.Torch.Tests.Data;

public class Cifar10ReaderTests
{
    /// <summary>n records; image i has pixel value (i + channel) in its whole channel plane, label i % 10.</summary>
    private static byte[] Records(int n, int offset = 0)
    {
        var bytes = new byte[n * Cifar10Reader.RecordBytes];
        for (var i = 0; i < n; i++)
        {
            var r = i * Cifar10Reader.RecordBytes;
            bytes[r] = (byte)((i + offset) % 10);
            for (var c = 0; c < 3; c++)
                Array.Fill(bytes, (byte)(i + offset + c), r + 1 + c * 1024, 1024);
        }
        return bytes;
    }

    [Fact]
    public void Reads_records_of_label_and_chw_pixels_across_files_in_order()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("a.bin"), Records(3));
        File.WriteAllBytes(tmp.File("b.bin"), Records(2, offset: 3));
        var data = Cifar10Reader.Load([tmp.File("a.bin"), tmp.File("b.bin")]);
        Assert.Equal((5, 3, 32, 32, 10), (data.Count, data.Channels, data.Height, data.Width, data.Classes));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, data.Labels);
        var img4 = data.Image(4);
        Assert.Equal(4, img4[0]);        // red plane
        Assert.Equal(5, img4[1024]);     // green plane
        Assert.Equal(6, img4[3071]);     // blue plane
    }

    [Fact]
    public void Round_trips_through_the_writer()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("a.bin"), Records(4));
        var data = Cifar10Reader.Load([tmp.File("a.bin")]);
        Cifar10Reader.Write(data, tmp.File("b.bin"));
        Assert.Equal(File.ReadAllBytes(tmp.File("a.bin")), File.ReadAllBytes(tmp.File("b.bin")));
    }

    [Fact]
    public void Truncated_file_names_the_file_and_the_leftover()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("a.bin"), Records(3)[..^100]);
        var e = Assert.Throws<DatasetFormatException>(() => Cifar10Reader.Load([tmp.File("a.bin")]));
        Assert.Equal(tmp.File("a.bin"), e.File);
        Assert.Contains("truncated", e.Fault);
        Assert.Contains("2 records and 2973 bytes left over", e.Fault);
    }

    [Fact]
    public void Label_out_of_range_names_the_file_and_record()
    {
        using var tmp = new TempFolder();
        var bytes = Records(3);
        bytes[2 * Cifar10Reader.RecordBytes] = 10;
        File.WriteAllBytes(tmp.File("a.bin"), bytes);
        var e = Assert.Throws<DatasetFormatException>(() => Cifar10Reader.Load([tmp.File("a.bin")]));
        Assert.Equal(tmp.File("a.bin"), e.File);
        Assert.Contains("label 10 of record 2", e.Fault);
    }

    [Fact]
    public void Empty_file_is_a_format_error()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("a.bin"), []);
        Assert.Throws<DatasetFormatException>(() => Cifar10Reader.Load([tmp.File("a.bin")]));
    }

    [Fact]
    public void Cifar_images_do_not_fit_a_fashion_mnist_space()
    {
        using var tmp = new TempFolder();
        File.WriteAllBytes(tmp.File("a.bin"), Records(2));
        var data = Cifar10Reader.Load([tmp.File("a.bin")]);
        var e = Assert.Throws<DatasetFormatException>(() => data.EnsureImageShape(1, 28, 28));
        Assert.Contains("3x32x32", e.Message);
    }

    [Fact]
    public void Catalog_loads_cifar10_from_a_folder_or_its_batches_subfolder()
    {
        using var tmp = new TempFolder();
        var dir = Path.Combine(tmp.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        foreach (var f in Cifar10Reader.TrainFiles) File.WriteAllBytes(Path.Combine(dir, f), Records(2));
        File.WriteAllBytes(Path.Combine(dir, Cifar10Reader.TestFile), Records(3));
        var bundle = DatasetCatalog.Load("cifar10", tmp.Path);
        Assert.Equal(10, bundle.Train.Count);
        Assert.Equal(3, bundle.Test.Count);
        Assert.Equal((3, 32, 32), (bundle.Channels, bundle.Height, bundle.Width));
        Assert.Equal(10, DatasetCatalog.Load("cifar10", dir).Train.Count);
    }

    [Fact]
    public void Catalog_names_the_missing_cifar10_file()
    {
        using var tmp = new TempFolder();
        foreach (var f in Cifar10Reader.TrainFiles.Take(4)) File.WriteAllBytes(tmp.File(f), Records(1));
        File.WriteAllBytes(tmp.File(Cifar10Reader.TestFile), Records(1));
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("cifar10", tmp.Path));
        Assert.Contains("data_batch_5.bin", e.Message);
        Assert.Contains(tmp.Path, e.Message);
    }
}
