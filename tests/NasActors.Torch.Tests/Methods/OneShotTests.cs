using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Methods.OneShot;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class OneShotTests
{
    private static SupernetTrainer Trainer(OneShotOptions settings, long steps = 101, int batchSize = 8, double weightDecay = 4e-5)
    {
        var options = new SupernetTrainingOptions
        {
            Method = OneShotMethod.MethodName, Steps = steps, BatchSize = batchSize, Seed = 3, OneShot = settings, WeightDecay = weightDecay,
        };
        var (weights, _) = TestData.Embedded.TrainingLoaders(options);
        return new SupernetTrainer(BlockSpaces.FmnistMb(), weights, options, CPU);
    }

    [Theory]
    [InlineData(100, 0.5)]
    [InlineData(50, 0.25)]
    [InlineData(10, 0.05)]
    public void Measured_drop_frequencies_lie_inside_binomial_confidence_intervals_of_the_schedule(long step, double expectedRate)
    {
        using var trainer = Trainer(new OneShotOptions { DropPathRate = 0.5 });
        var method = (OneShotMethod)trainer.Method;
        Assert.Equal(expectedRate, method.RateAt(step), 12);
        const int examples = 20_000;
        var masks = method.KeepMasks(step, examples);
        for (var l = 0; l < masks.Length; l++)
        {
            var k = masks[l][0].Length;
            var p = OneShotMethod.OpDropProbability(expectedRate, k);
            // Dropped: drawn dropped, and not the op kept back when all k were drawn dropped (probability p^k / k).
            var expected = p - Math.Pow(p, k) / k;
            var halfWidth = 4.0 * Math.Sqrt(expected * (1 - expected) / examples);
            Assert.All(masks[l], e => Assert.Contains(true, e));
            for (var c = 0; c < k; c++)
            {
                var dropped = (double)masks[l].Count(e => !e[c]) / examples;
                Assert.InRange(dropped, expected - halfWidth, expected + halfWidth);
            }
            var allButOne = (double)masks[l].Count(e => e.Count(v => v) == 1) / examples;
            Assert.True(allButOne > 0 || expectedRate < 0.1, $"layer {l}: no example kept a single op at rate {expectedRate}");
        }
    }

    [Fact]
    public void The_drop_rate_grows_linearly_from_zero_to_r()
    {
        using var trainer = Trainer(new OneShotOptions { DropPathRate = 0.3 }, steps: 11);
        var method = (OneShotMethod)trainer.Method;
        Assert.Equal(0, method.RateAt(0));
        Assert.Equal(0.15, method.RateAt(5), 12);
        Assert.Equal(0.3, method.RateAt(10), 12);
        Assert.All(method.KeepMasks(0, 100), layer => Assert.All(layer, e => Assert.All(e, Assert.True)));
    }

    [Fact]
    public void An_op_dropped_for_the_whole_batch_gets_no_weight_decay()
    {
        // A high rate at the last step and two examples: most ops are dropped for both.
        using var trainer = Trainer(new OneShotOptions { DropPathRate = 0.9 }, steps: 2, batchSize: 2, weightDecay: 0.1);
        var method = (OneShotMethod)trainer.Method;
        trainer.TrainStep();
        var before = trainer.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        trainer.TrainStep();
        var active = method.LastActive;
        int dropped = 0, kept = 0;
        for (var l = 0; l < active.Length; l++)
            for (var c = 0; c < active[l].Length; c++)
            {
                var prefix = $"layers.{l}.{c}.";
                var moved = trainer.Network.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal))
                    .Any(p => !p.parameter.eq(before[p.name]).all().item<bool>());
                Assert.Equal(active[l][c], moved);
                if (active[l][c]) kept++;
                else dropped++;
            }
        Assert.True(dropped > 0 && kept > 0, $"{dropped} dropped and {kept} active ops: the test needs both");
    }

    [Fact]
    public void A_candidate_with_the_other_ops_zeroed_is_the_path_forward()
    {
        using var trainer = Trainer(new OneShotOptions());
        var method = (OneShotMethod)trainer.Method;
        trainer.TrainStep();
        trainer.Network.eval();
        var path = new Architecture([0, 5, 3, 2, 4, 1]);
        using var batch = TestData.Embedded.TrainLoader(8, 1).GetBatch(0, CPU);
        var only = path.Select(c => Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 6).Select(o => o == c).ToArray()).ToArray()).ToArray();
        using var noGrad = torch.no_grad();
        using var mixed = method.Forward(batch.Images, only);
        using var single = trainer.Network.Forward(batch.Images, path);
        Assert.True(mixed.eq(single).all().item<bool>());
    }

    [Fact]
    public void A_ghost_BatchNorm_normalises_each_ghost_batch_with_its_own_statistics()
    {
        using var norm = new PathBatchNorm(3, affine: false) { GhostBatchSize = 4 };
        norm.train();
        using var x = torch.randn(10, 3, 5, 5, generator: new Generator(7));
        using var y = norm.call(x);
        var chunks = x.split(4, 0);
        for (var g = 0; g < chunks.Length; g++)
        {
            using var expected = nn.functional.batch_norm(chunks[g], torch.zeros(3), torch.ones(3), training: true);
            using var actual = y.narrow(0, 4 * g, chunks[g].shape[0]);
            Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6), $"ghost batch {g}");
        }
        Assert.Equal(1, norm.BatchesTracked);
    }

    [Fact]
    public void A_One_Shot_checkpoint_scores_candidates_through_the_supernet()
    {
        using var folder = new TempFolder();
        using var trainer = Trainer(new OneShotOptions { GhostBatchSize = 4 }, steps: 2);
        trainer.TrainStep();
        var saved = trainer.SaveCheckpoint(folder.Path, TestData.Embedded.Metadata());
        using var loaded = Checkpoint.Load(saved.Path);
        using var network = SupernetCheckpoint.LoadNetwork(loaded, CPU);
        foreach (var (name, tensor) in trainer.Network.state_dict())
            Assert.True(tensor.eq(network.state_dict()[name]).all().item<bool>(), name);
    }
}
