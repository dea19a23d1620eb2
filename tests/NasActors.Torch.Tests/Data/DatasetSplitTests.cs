using NasActors.Torch.Data;

namespace NasActors.Torch.Tests.Data;

public class DatasetSplitTests
{
    [Fact]
    public void Same_seed_gives_the_same_split_and_another_seed_a_different_one()
    {
        var data = EmbeddedFashionMnist.Train;
        var a = DatasetSplit.Stratified(data, 0.2, seed: 7);
        var b = DatasetSplit.Stratified(data, 0.2, seed: 7);
        var c = DatasetSplit.Stratified(data, 0.2, seed: 8);
        Assert.Equal(a.Train, b.Train);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
    }

    [Fact]
    public void Split_is_stratified_disjoint_and_covers_every_image()
    {
        var data = EmbeddedFashionMnist.Train;
        var s = DatasetSplit.Stratified(data, 0.2, seed: 3);
        Assert.Equal(2_000, s.Validation.Length);
        Assert.Equal(8_000, s.Train.Length);
        Assert.Empty(s.Train.Intersect(s.Validation));
        Assert.Equal(Enumerable.Range(0, data.Count), s.Train.Concat(s.Validation).Order());
        Assert.All(data.Subset(s.Validation).ClassCounts(), n => Assert.Equal(200, n));
        Assert.All(data.Subset(s.Train).ClassCounts(), n => Assert.Equal(800, n));
    }

    [Fact]
    public void Uneven_classes_keep_their_proportion()
    {
        byte[] labels = [.. Enumerable.Repeat((byte)0, 90), .. Enumerable.Repeat((byte)1, 10)];
        var s = DatasetSplit.Stratified(labels, 2, 0.1, seed: 1);
        Assert.Equal(9, s.Validation.Count(i => labels[i] == 0));
        Assert.Equal(1, s.Validation.Count(i => labels[i] == 1));
    }

    [Fact]
    public void Fraction_outside_zero_to_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Stratified(EmbeddedFashionMnist.Test, 1.0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Stratified(EmbeddedFashionMnist.Test, -0.1, 1));
    }
}
