using NasActors.Torch.Data;

namespace NasActors.Torch.Tests.Data;

/// <summary>
/// The tool that makes the shipped Fashion-MNIST subset (src/NasActors.Torch/Data/FashionMnistSubset/), and the
/// check that the shipped files are what it makes. Both need the full dataset (apt-get install -y
/// dataset-fashion-mnist); without it they have nothing to compare and return at once.
/// Regenerate: NASACTORS_WRITE_FMNIST_SUBSET=1 dotnet test tests/NasActors.Torch.Tests --filter "FullyQualifiedName~EmbeddedSubsetTool"
/// </summary>
public class EmbeddedSubsetTool
{
    private static (ImageDataset Train, ImageDataset Test)? Selection()
    {
        var dir = DatasetCatalog.DefaultFashionMnistFolder;
        if (!File.Exists(Path.Combine(dir, "train-images-idx3-ubyte.gz"))) return null;
        var full = DatasetCatalog.Load(DatasetCatalog.FashionMnist);
        return EmbeddedFashionMnist.SelectFrom(full.Train, full.Test);
    }

    [Fact]
    public void Writes_the_subset_files_when_asked()
    {
        if (Environment.GetEnvironmentVariable("NASACTORS_WRITE_FMNIST_SUBSET") != "1") return;
        var selection = Selection() ?? throw new InvalidOperationException($"the full dataset is not in {DatasetCatalog.DefaultFashionMnistFolder}");
        EmbeddedFashionMnist.WriteFiles(selection, Repo.SubsetFolder);
    }

    [Fact]
    public void Embedded_subset_is_reproducible_from_the_full_dataset()
    {
        if (Selection() is not { } selection) return; // full dataset not installed: nothing to compare with
        Assert.Equal(selection.Train.Labels, EmbeddedFashionMnist.Train.Labels);
        Assert.Equal(selection.Train.Pixels, EmbeddedFashionMnist.Train.Pixels);
        Assert.Equal(selection.Test.Labels, EmbeddedFashionMnist.Test.Labels);
        Assert.Equal(selection.Test.Pixels, EmbeddedFashionMnist.Test.Pixels);
    }
}
