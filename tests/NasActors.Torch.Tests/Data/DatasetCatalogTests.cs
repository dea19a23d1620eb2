using NasActors.Torch.Data;

namespace NasActors.Torch.Tests.Data;

public class DatasetCatalogTests
{
    [Fact]
    public void Fmnist_embedded_resolves_to_the_shipped_subset()
    {
        var b = DatasetCatalog.Load("fmnist-embedded");
        Assert.Equal(10_000, b.Train.Count);
        Assert.Equal(2_000, b.Test.Count);
        Assert.Equal(10, b.ClassNames.Count);
        Assert.Equal((1, 28, 28), DatasetCatalog.ImageShape("fmnist-embedded"));
    }

    [Fact]
    public void Fmnist_from_a_folder_reads_gz_or_raw_and_names_a_missing_file()
    {
        using var tmp = new TempFolder();
        var sub = EmbeddedFashionMnist.Test;
        IdxWriter.Write(sub, tmp.File("train-images-idx3-ubyte.gz"), tmp.File("train-labels-idx1-ubyte"));
        IdxWriter.Write(sub, tmp.File("t10k-images-idx3-ubyte"), tmp.File("t10k-labels-idx1-ubyte.gz"));
        var b = DatasetCatalog.Load("fmnist", tmp.Path);
        Assert.Equal(sub.Pixels, b.Train.Pixels);
        Assert.Equal(sub.Labels, b.Test.Labels);

        File.Delete(tmp.File("t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("fmnist", tmp.Path));
        Assert.Contains("t10k-labels-idx1-ubyte", e.Message);
        Assert.Contains(tmp.Path, e.Message);
    }

    [Fact]
    public void Missing_folder_and_unknown_name_are_clear_errors()
    {
        var e = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("fmnist", "/nonexistent/fm"));
        Assert.Contains("/nonexistent/fm", e.Message);
        var c = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("cifar10"));
        Assert.Contains("needs a folder", c.Message);
        var u = Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("imagenet"));
        Assert.Contains("fmnist-embedded", u.Message);
    }
}
