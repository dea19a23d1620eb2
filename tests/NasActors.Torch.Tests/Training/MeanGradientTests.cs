using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Training;

public sealed class MeanGradientTests
{
    [Fact]
    public void With_mean_gradients_shared_parameters_move_by_one_mth_and_choice_blocks_as_before()
    {
        var data = TestData.Embedded;
        Dictionary<string, float[]> Delta(bool mean)
        {
            using var trainer = new SupernetTrainer(BlockSpaces.FmnistMb(), data.TrainLoader(8, 1), new SupernetTrainingOptions
            {
                Method = PathSamplers.FairNas, Steps = 2, BatchSize = 8, WeightDecay = 0, MeanGradientOverPaths = mean,
            }, CPU);
            var before = trainer.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
            trainer.TrainStep();
            return trainer.Network.named_parameters().ToDictionary(p => p.name,
                p => p.parameter.data<float>().ToArray().Zip(before[p.name], (a, b) => a - b).ToArray());
        }
        var sum = Delta(mean: false);
        var mean = Delta(mean: true);
        foreach (var name in new[] { "classifier.weight", "stem.conv.conv.weight" })
            for (var i = 0; i < sum[name].Length; i += 7)
                Assert.Equal(sum[name][i] / 6, mean[name][i], 1e-5);
        Assert.Equal(sum["layers.2.4.body.expand.conv.weight"], mean["layers.2.4.body.expand.conv.weight"]);
    }
}
