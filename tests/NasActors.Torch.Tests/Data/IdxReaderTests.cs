using System.Buffers.Binary;
using System.IO.Compression;
using NasActors.Torch.Data;

namespace NasActors.Torch.Tests.Data;

public class IdxReaderTests
{
    private static ImageDataset Small(int count = 12, int classes = 10)
    {
        var pixels = new byte[count * 4 * 3];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % classes)).ToArray();
        return new ImageDataset("small", pixels, labels, count, 1, 4, 3, classes);
    }

    private static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    [Fact]
    public void Embedded_training_subset_holds_10000_images_1000_per_class()
    {
        var train = EmbeddedFashionMnist.Train;
        Assert.Equal(10_000, train.Count);
        Assert.Equal((1, 28, 28), (train.Channels, train.Height, train.Width));
        Assert.All(train.ClassCounts(), c => Assert.Equal(1000, c));
    }

    [Fact]
    public void Embedded_test_subset_holds_2000_images_200_per_class()
    {
        var test = EmbeddedFashionMnist.Test;
        Assert.Equal(2_000, test.Count);
        Assert.All(test.ClassCounts(), c => Assert.Equal(200, c));
        Assert.True(test.Pixels.Any(p => p > 0), "images are not blank");
    }

    [Fact]
    public void Embedded_files_in_the_repository_read_as_gz_and_as_raw_alike()
    {
        using var tmp = new TempFolder();
        var gzImages = Path.Combine(Repo.SubsetFolder, EmbeddedFashionMnist.TestImages);
        var gzLabels = Path.Combine(Repo.SubsetFolder, EmbeddedFashionMnist.TestLabels);
        var fromGz = IdxReader.Load(gzImages, gzLabels);

        var rawImages = tmp.File("t-images-idx3-ubyte");
        var rawLabels = tmp.File("t-labels-idx1-ubyte");
        using (var gz = new GZipStream(File.OpenRead(gzImages), CompressionMode.Decompress)) using (var f = File.Create(rawImages)) gz.CopyTo(f);
        using (var gz = new GZipStream(File.OpenRead(gzLabels), CompressionMode.Decompress)) using (var f = File.Create(rawLabels)) gz.CopyTo(f);
        var fromRaw = IdxReader.Load(rawImages, rawLabels);

        Assert.Equal(fromGz.Pixels, fromRaw.Pixels);
        Assert.Equal(fromGz.Labels, fromRaw.Labels);
        Assert.Equal(EmbeddedFashionMnist.Test.Labels, fromGz.Labels);
    }

    [Theory]
    [InlineData("images-idx3-ubyte", "labels-idx1-ubyte")]
    [InlineData("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz")]
    public void Written_files_read_back_unchanged(string imagesName, string labelsName)
    {
        using var tmp = new TempFolder();
        var data = Small();
        IdxWriter.Write(data, tmp.File(imagesName), tmp.File(labelsName));
        var back = IdxReader.Load(tmp.File(imagesName), tmp.File(labelsName));
        Assert.Equal((12, 1, 4, 3), (back.Count, back.Channels, back.Height, back.Width));
        Assert.Equal(data.Pixels, back.Pixels);
        Assert.Equal(data.Labels, back.Labels);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bad_magic_number_names_the_file_and_the_magic(bool gz)
    {
        using var tmp = new TempFolder();
        var data = Small();
        IdxWriter.Write(data, tmp.File("i"), tmp.File("l"));
        // A labels file where an images file belongs.
        var swapped = File.ReadAllBytes(tmp.File("l"));
        File.WriteAllBytes(tmp.File("bad"), gz ? Gzip(swapped) : swapped);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.Load(tmp.File("bad"), tmp.File("l")));
        Assert.Equal(tmp.File("bad"), e.File);
        Assert.Contains("bad magic number 0x00000801", e.Message);
        Assert.Contains("0x00000803", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_images_are_reported_with_the_missing_size(bool gz)
    {
        using var tmp = new TempFolder();
        IdxWriter.Write(Small(), tmp.File("i"), tmp.File("l"));
        var bytes = File.ReadAllBytes(tmp.File("i"));
        var cut = bytes[..^5];
        File.WriteAllBytes(tmp.File("cut"), gz ? Gzip(cut) : cut);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.Load(tmp.File("cut"), tmp.File("l")));
        Assert.Equal(tmp.File("cut"), e.File);
        Assert.Contains("truncated", e.Fault);
        Assert.Contains("12 images of 4x3", e.Fault);
    }

    [Fact]
    public void Truncated_gzip_stream_is_a_format_error_not_a_crash()
    {
        using var tmp = new TempFolder();
        IdxWriter.Write(Small(), tmp.File("i.gz"), tmp.File("l.gz"));
        var bytes = File.ReadAllBytes(tmp.File("i.gz"));
        File.WriteAllBytes(tmp.File("cut.gz"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.Load(tmp.File("cut.gz"), tmp.File("l.gz")));
        Assert.Equal(tmp.File("cut.gz"), e.File);
        Assert.Contains("truncated", e.Fault);
    }

    [Fact]
    public void Header_shorter_than_its_dimensions_is_truncated()
    {
        using var tmp = new TempFolder();
        var header = new byte[10];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxReader.ImagesMagic);
        File.WriteAllBytes(tmp.File("short"), header);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(tmp.File("short")));
        Assert.Contains("truncated", e.Fault);
    }

    [Fact]
    public void Image_and_label_counts_that_differ_name_both_files()
    {
        using var tmp = new TempFolder();
        IdxWriter.Write(Small(12), tmp.File("i"), tmp.File("l"));
        IdxWriter.WriteLabels(tmp.File("l11"), Small(11).Labels);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.Load(tmp.File("i"), tmp.File("l11")));
        Assert.Equal(tmp.File("l11"), e.File);
        Assert.Contains("11 labels", e.Message);
        Assert.Contains(tmp.File("i") + " holds 12 images", e.Message);
    }

    [Fact]
    public void Label_out_of_range_names_the_image_and_the_range()
    {
        using var tmp = new TempFolder();
        var data = Small();
        IdxWriter.Write(data, tmp.File("i"), tmp.File("l"));
        var labels = data.Labels.ToArray();
        labels[5] = 10;
        IdxWriter.WriteLabels(tmp.File("l"), labels);
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.Load(tmp.File("i"), tmp.File("l"), classes: 10));
        Assert.Equal(tmp.File("l"), e.File);
        Assert.Contains("label 10 of image 5 is out of range [0, 10)", e.Message);
    }

    [Fact]
    public void Wrong_image_size_for_the_space_names_both_sizes()
    {
        using var tmp = new TempFolder();
        IdxWriter.Write(Small(), tmp.File("i"), tmp.File("l"));
        var data = IdxReader.Load(tmp.File("i"), tmp.File("l"), name: tmp.File("i"));
        var e = Assert.Throws<DatasetFormatException>(() => data.EnsureImageShape(1, 28, 28));
        Assert.Equal(tmp.File("i"), e.File);
        Assert.Contains("1x4x3", e.Message);
        Assert.Contains("1x28x28", e.Message);
        data.EnsureImageShape(1, 4, 3);
    }

    [Fact]
    public void Missing_file_is_a_not_found_error_naming_it()
    {
        using var tmp = new TempFolder();
        var e = Assert.Throws<DatasetNotFoundException>(() => IdxReader.Load(tmp.File("nope"), tmp.File("nope2")));
        Assert.Contains(tmp.File("nope"), e.Message);
    }
}
