using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Training;

public sealed class StandaloneTrainerTests
{
    [Fact]
    public void A_stand_alone_network_trained_briefly_beats_chance_on_the_test_set()
    {
        var bundle = DatasetCatalog.Load(DatasetCatalog.FashionMnistEmbedded);
        var subset = DatasetSplit.BalancedSubset(bundle.Train, 60, 1, "standalone-test");
        var options = new StandaloneOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.05 };
        var train = new BatchLoader(bundle.Train, 32, 1, bundle.Normalization, subset, dropLast: true);
        var test = new BatchLoader(bundle.Test, 500, 0, bundle.Normalization, shuffle: false);
        var epochs = new List<EpochMetrics>();
        var score = StandaloneTrainer.Train(BlockSpaces.FmnistMb(), Architecture.Of(0, 1, 2, 3, 4, 5), train, test, options, CPU, epochs.Add);
        Assert.Equal(3, epochs.Count);
        Assert.Equal(2000, score.Images);
        Assert.True(score.Accuracy > 0.3, $"test accuracy {score.Accuracy:P1} after 3 epochs on 600 images");
    }
}
