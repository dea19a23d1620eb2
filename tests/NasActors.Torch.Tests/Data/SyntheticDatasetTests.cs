using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;

namespace NasActors.Torch.Tests.Data;

/// <summary>The synthetic dataset of the GPU benchmark: random images at a space's own input shape and classes.</summary>
public sealed class SyntheticDatasetTests
{
    [Fact]
    public void Synthetic_takes_the_input_shape_and_classes_of_the_space_it_trains()
    {
        var space = BlockSpaces.FairNasImageNet();
        var name = DatasetCatalog.ForSpace("synthetic", space);
        Assert.Equal("synthetic-3x224x224-1000", name);
        Assert.Equal("fmnist", DatasetCatalog.ForSpace("fmnist", space));
        Assert.Equal((3, 224, 224), DatasetCatalog.ImageShape(name));
        var data = SearchData.Load(DatasetCatalog.ForSpace("synthetic", BlockSpaces.FmnistMb()), null, 0.2, 1);
        data.EnsureFits(BlockSpaces.FmnistMb());
        Assert.Equal((DatasetCatalog.SyntheticTrainImages, DatasetCatalog.SyntheticTestImages), (data.Bundle.Train.Count, data.Bundle.Test.Count));
    }

    [Fact]
    public void Synthetic_images_are_the_same_for_the_same_name_and_differ_between_parts()
    {
        var a = DatasetCatalog.Load("synthetic-1x8x8-10");
        var b = DatasetCatalog.Load("synthetic-1x8x8-10");
        Assert.Equal(a.Train.Pixels, b.Train.Pixels);
        Assert.Equal(a.Train.Labels, b.Train.Labels);
        Assert.NotEqual(a.Train.Pixels.Take(64 * 100), a.Test.Pixels.Take(64 * 100));
        Assert.Equal(10, a.Train.ClassCounts().Count(c => c > 0)); // every class drawn
        Assert.InRange(a.Train.Pixels.Select(p => (double)p).Average(), 120, 135); // uniform bytes
    }

    [Fact]
    public void Synthetic_data_of_1000_classes_labels_the_first_256_with_byte_labels()
    {
        var d = DatasetCatalog.Load("synthetic-1x4x4-1000");
        Assert.Equal(1000, d.Classes);
        Assert.Equal(256, d.Train.ClassCounts().Count(c => c > 0));
    }

    [Fact]
    public void Synthetic_without_a_shape_or_out_of_range_is_refused_saying_why()
    {
        Assert.Contains("input shape of the space", Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("synthetic")).Message);
        Assert.Contains("out of range", Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.Load("synthetic-0x8x8-10")).Message);
        Assert.Throws<DatasetNotFoundException>(() => DatasetCatalog.ImageShape("synthetic-3x8"));
    }
}
