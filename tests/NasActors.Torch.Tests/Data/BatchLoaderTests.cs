using NasActors.Torch.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Data;

public class BatchLoaderTests
{
    private static readonly ImageDataset Data = EmbeddedFashionMnist.Test; // 2,000 images

    [Fact]
    public void Same_seed_and_epoch_give_the_same_batches()
    {
        var a = new BatchLoader(Data, 64, seed: 11, Normalization.FashionMnist);
        var b = new BatchLoader(Data, 64, seed: 11, Normalization.FashionMnist);
        Assert.Equal(a.EpochOrder(3), b.EpochOrder(3));
        using var scope = NewDisposeScope();
        var x = a.GetBatch(3 * a.BatchesPerEpoch + 5);
        var y = b.GetBatch(3 * b.BatchesPerEpoch + 5);
        Assert.True(x.Images.equal(y.Images).all().item<bool>());
        Assert.True(x.Labels.equal(y.Labels).all().item<bool>());
    }

    [Fact]
    public void Epochs_and_seeds_shuffle_differently_and_each_epoch_visits_every_image_once()
    {
        var loader = new BatchLoader(Data, 64, seed: 11, Normalization.FashionMnist);
        var e0 = loader.EpochOrder(0);
        var e1 = loader.EpochOrder(1);
        Assert.NotEqual(e0, e1);
        Assert.NotEqual(e0, new BatchLoader(Data, 64, seed: 12, Normalization.FashionMnist).EpochOrder(0));
        Assert.Equal(Enumerable.Range(0, Data.Count), e0.Order());
        Assert.Equal(Enumerable.Range(0, Data.Count), e1.Order());
    }

    [Fact]
    public void Kth_batch_of_the_stream_equals_the_one_reached_by_iterating()
    {
        var loader = new BatchLoader(Data, 300, seed: 5, Normalization.FashionMnist);
        Assert.Equal(7, loader.BatchesPerEpoch); // 6 x 300 + 200
        var iterated = new List<int[]>();
        for (var e = 0; e < 3; e++)
            iterated.AddRange(Enumerable.Range(0, loader.BatchesPerEpoch).Select(b => loader.BatchIndices(e * loader.BatchesPerEpoch + b)));
        // A fresh loader (a resumed trainer) jumps straight to position 16.
        var resumed = new BatchLoader(Data, 300, seed: 5, Normalization.FashionMnist);
        Assert.Equal(iterated[16], resumed.BatchIndices(16));
        Assert.Equal(200, iterated[6].Length);
        Assert.Equal(loader.EpochOrder(2)[(2 * 300)..(3 * 300)], iterated[16]);
    }

    [Fact]
    public void Drop_last_leaves_out_the_short_batch()
    {
        var loader = new BatchLoader(Data, 300, seed: 5, Normalization.FashionMnist, dropLast: true);
        Assert.Equal(6, loader.BatchesPerEpoch);
        Assert.All(Enumerable.Range(0, 12), k => Assert.Equal(300, loader.BatchIndices(k).Length));
    }

    [Fact]
    public void Loader_over_a_split_draws_only_from_its_indices()
    {
        var split = DatasetSplit.Stratified(Data, 0.25, seed: 2);
        var loader = new BatchLoader(Data, 100, seed: 1, Normalization.FashionMnist, split.Validation);
        Assert.Equal(500, loader.Count);
        var seen = Enumerable.Range(0, loader.BatchesPerEpoch).SelectMany(k => loader.BatchIndices(k)).ToHashSet();
        Assert.True(seen.SetEquals(split.Validation));
    }

    [Fact]
    public void Batch_tensors_are_float32_nchw_normalised_and_int64_labels()
    {
        var norm = new Normalization([0.5f], [0.25f]);
        var loader = new BatchLoader(Data, 32, seed: 9, norm, shuffle: false);
        using var scope = NewDisposeScope();
        var batch = loader.GetBatch(0);
        Assert.Equal(new long[] { 32, 1, 28, 28 }, batch.Images.shape);
        Assert.Equal(ScalarType.Float32, batch.Images.dtype);
        Assert.Equal(ScalarType.Int64, batch.Labels.dtype);
        Assert.Equal(Enumerable.Range(0, 32), batch.Indices);
        var pixel = Data.Image(3)[14 * 28 + 14];
        var expected = (pixel / 255f - 0.5f) / 0.25f;
        Assert.Equal(expected, batch.Images[3, 0, 14, 14].item<float>(), 5);
        // Every pixel of every image (the batch is written straight into the tensor's memory).
        var values = batch.Images.data<float>().ToArray();
        for (var n = 0; n < 32; n++)
        {
            var image = Data.Image(n);
            for (var i = 0; i < 28 * 28; i++)
                Assert.Equal((image[i] / 255f - 0.5f) / 0.25f, values[n * 28 * 28 + i]);
        }
        Assert.Equal(Data.Labels[3], batch.Labels[3].item<long>());
    }

    [Fact]
    public void Batch_tensors_belong_to_the_callers_dispose_scope()
    {
        var loader = new BatchLoader(Data, 16, seed: 9, Normalization.FashionMnist);
        TensorBatch batch;
        using (var scope = NewDisposeScope())
        {
            batch = loader.GetBatch(0);
            Assert.False(batch.Images.IsInvalid);
        }
        Assert.True(batch.Images.IsInvalid);
        Assert.True(batch.Labels.IsInvalid);
    }

    [Fact]
    public void Computed_normalisation_of_the_embedded_subset_is_close_to_the_published_one()
    {
        var n = Normalization.Compute(EmbeddedFashionMnist.Train);
        Assert.InRange(n.Mean[0], 0.27f, 0.30f);
        Assert.InRange(n.Std[0], 0.34f, 0.37f);
    }
}
