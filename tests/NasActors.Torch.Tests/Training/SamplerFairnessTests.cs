using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Training;

public sealed class SamplerFairnessTests
{
    [Fact]
    public void After_k_FairNAS_steps_every_choice_block_of_every_layer_ran_exactly_k_times()
    {
        const int k = 3;
        var space = BlockSpaces.FmnistMb();
        var data = TestData.Embedded;
        using var trainer = new SupernetTrainer(space, data.TrainLoader(8, 1),
            new SupernetTrainingOptions { Method = PathSamplers.FairNas, Steps = k, BatchSize = 8 }, CPU);
        var forwardCounts = new int[space.ChoiceCounts.Count, space.ChoiceCounts[0]];
        var hooks = new List<nn.HookableModule<Func<nn.Module<Tensor, Tensor>, Tensor, Tensor>, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor>>.HookRemover>();
        for (var layer = 0; layer < space.ChoiceCounts.Count; layer++)
            for (var choice = 0; choice < space.ChoiceCounts[layer]; choice++)
            {
                var (l, c) = (layer, choice);
                hooks.Add(trainer.Network.Block(l, c).register_forward_hook((_, _, output) => { forwardCounts[l, c]++; return output; }));
            }
        var updatedEveryStep = new List<int>();
        for (var s = 0; s < k; s++)
        {
            trainer.TrainStep();
            updatedEveryStep.Add(ChoiceBlocksWithGradient(trainer, space));
        }
        foreach (var h in hooks) h.remove();
        for (var layer = 0; layer < space.ChoiceCounts.Count; layer++)
            for (var choice = 0; choice < space.ChoiceCounts[layer]; choice++)
                Assert.Equal(k, forwardCounts[layer, choice]);
        Assert.All(updatedEveryStep, n => Assert.Equal(space.ChoiceCounts.Sum(), n));
    }

    [Fact]
    public void FairNAS_paths_of_a_step_hold_every_choice_of_every_layer_once()
    {
        var space = BlockSpaces.FairNasImageNet();
        var sampler = new FairPathSampler(space, seed: 9);
        for (long step = 0; step < 50; step++)
        {
            var paths = sampler.Sample(step);
            Assert.Equal(6, paths.Count);
            for (var layer = 0; layer < space.ChoiceCounts.Count; layer++)
                Assert.Equal(Enumerable.Range(0, 6), paths.Select(p => p[layer]).Order());
        }
    }

    [Fact]
    public void SPOS_choice_counts_follow_the_uniform_distribution()
    {
        const int steps = 6000;
        var space = BlockSpaces.FmnistMb();
        var sampler = new UniformPathSampler(space, seed: 3);
        var counts = new int[space.ChoiceCounts.Count, 6];
        for (long step = 0; step < steps; step++)
        {
            var path = Assert.Single(sampler.Sample(step));
            for (var layer = 0; layer < path.Count; layer++) counts[layer, path[layer]]++;
        }
        // Chi-square with 5 degrees of freedom per layer: 20.5 is the 0.999 quantile.
        const double expected = steps / 6.0;
        for (var layer = 0; layer < space.ChoiceCounts.Count; layer++)
        {
            var chi2 = Enumerable.Range(0, 6).Sum(c => Math.Pow(counts[layer, c] - expected, 2) / expected);
            Assert.True(chi2 < 20.5, $"layer {layer}: chi-square {chi2:F1} against uniform");
        }
    }

    [Fact]
    public void SPOS_training_leaves_choices_off_the_path_untouched_by_momentum_and_weight_decay()
    {
        var space = BlockSpaces.FmnistMb();
        var data = TestData.Embedded;
        using var trainer = new SupernetTrainer(space, data.TrainLoader(8, 1),
            new SupernetTrainingOptions { Method = PathSamplers.Spos, Steps = 4, BatchSize = 8, WeightDecay = 0.1 }, CPU);
        for (var s = 0; s < 3; s++)
        {
            var path = Assert.Single(trainer.Sampler!.Sample(trainer.Step));
            var before = Snapshot(trainer);
            trainer.TrainStep();
            var after = Snapshot(trainer);
            for (var layer = 0; layer < path.Count; layer++)
                for (var choice = 0; choice < space.ChoiceCounts[layer]; choice++)
                {
                    var prefix = $"layers.{layer}.{choice}.";
                    var changed = before.Where(kv => kv.Key.StartsWith(prefix) && kv.Key.Contains("conv.weight"))
                        .Any(kv => !kv.Value.SequenceEqual(after[kv.Key]));
                    Assert.Equal(choice == path[layer], changed);
                }
        }
    }

    [Fact]
    public void SPOS_sampling_inside_FLOPs_bands_puts_paths_in_the_band_it_drew()
    {
        var space = BlockSpaces.FmnistMb();
        var costs = space.CostModel();
        var sampler = new UniformPathSampler(space, seed: 2, new FlopsBands(costs, Count: 4, MaxDraws: 500));
        var bands = new HashSet<double>();
        for (long step = 0; step < 200; step++)
        {
            var flops = costs.Cost("flops", Assert.Single(sampler.Sample(step)));
            var (low, high) = sampler.LastBand!.Value;
            bands.Add(low);
            Assert.True(sampler.LastRejections < 500, $"step {step}: no path found in [{low}, {high})");
            Assert.InRange(flops, low, high);
        }
        Assert.Equal(4, bands.Count);
    }

    private static int ChoiceBlocksWithGradient(SupernetTrainer trainer, BlockSpace space)
    {
        var n = 0;
        for (var layer = 0; layer < space.ChoiceCounts.Count; layer++)
            for (var choice = 0; choice < space.ChoiceCounts[layer]; choice++)
                if (trainer.Network.Block(layer, choice).parameters().All(p => p.grad is not null)) n++;
        return n;
    }

    private static Dictionary<string, float[]> Snapshot(SupernetTrainer trainer) =>
        trainer.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray());
}
