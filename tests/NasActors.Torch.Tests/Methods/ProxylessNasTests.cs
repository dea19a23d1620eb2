using NasActors.Torch.Methods.ProxylessNas;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class ProxylessNasTests
{
    private static SupernetTrainer Trainer() => MethodResumeTests.Trainer("proxylessnas", false, 4);

    [Fact]
    public void One_block_per_layer_runs_in_a_ProxylessNAS_weight_step_and_two_in_an_architecture_step()
    {
        using var trainer = Trainer();
        var method = (ProxylessNasMethod)trainer.Method;
        var space = trainer.Space;
        var runs = new int[space.ChoiceCounts.Count, space.ChoiceCounts[0]];
        var hooks = new List<IDisposable>();
        for (var l = 0; l < space.ChoiceCounts.Count; l++)
            for (var c = 0; c < space.ChoiceCounts[l]; c++)
            {
                var (layer, choice) = (l, c);
                var remover = trainer.Network.Block(l, c).register_forward_hook((_, _, output) => { runs[layer, choice]++; return output; });
                hooks.Add(new Remover(remover.remove));
            }
        method.WeightStep(0, 0.025);
        var path = method.WeightPath(0);
        for (var l = 0; l < space.ChoiceCounts.Count; l++)
            for (var c = 0; c < space.ChoiceCounts[l]; c++)
                Assert.Equal(c == path[l] ? 1 : 0, runs[l, c]);

        Array.Clear(runs);
        method.ArchitectureStep(0, 0.025);
        for (var l = 0; l < space.ChoiceCounts.Count; l++)
        {
            var (active, inactive) = method.LastPairs[l];
            Assert.NotEqual(active, inactive);
            for (var c = 0; c < space.ChoiceCounts[l]; c++)
                Assert.Equal(c == active || c == inactive ? 1 : 0, runs[l, c]);
        }
        foreach (var h in hooks) h.Dispose();
    }

    [Fact]
    public void Two_path_rescaling_keeps_the_other_choices_probabilities()
    {
        using var trainer = Trainer();
        var method = (ProxylessNasMethod)trainer.Method;
        var before = method.Distribution!.Probabilities;
        var alphasBefore = method.Alphas.Select(a => a.detach().clone()).ToArray();
        var weightsBefore = trainer.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        method.ArchitectureStep(0, 0.025);
        var after = method.Distribution!.Probabilities;
        for (var l = 0; l < before.Count; l++)
        {
            var (active, inactive) = method.LastPairs[l];
            for (var c = 0; c < before[l].Length; c++)
            {
                if (c == active || c == inactive) continue;
                Assert.True(method.Alphas[l][c].eq(alphasBefore[l][c]).item<bool>(), $"layer {l}: alpha of uninvolved choice {c} moved");
                Assert.Equal(before[l][c], after[l][c], 6);
            }
            Assert.Equal(before[l][active] + before[l][inactive], after[l][active] + after[l][inactive], 6);
            Assert.NotEqual(before[l][active], after[l][active]);
        }
        foreach (var (name, tensor) in trainer.Network.state_dict())
            Assert.True(tensor.eq(weightsBefore[name]).all().item<bool>(), $"{name} changed in the architecture step");
    }

    [Fact]
    public void Without_a_latency_table_the_gates_alone_train_the_pair()
    {
        var options = ProxylessNasMethod.Recipe(new SupernetTrainingOptions { Steps = 2, BatchSize = 8 });
        var (weights, architecture) = TestData.Embedded.TrainingLoaders(options);
        using var trainer = new SupernetTrainer(NasActors.Core.Spaces.Blocks.BlockSpaces.FmnistMb(), weights, options, CPU, 1, architecture);
        var method = (ProxylessNasMethod)trainer.Method;
        var before = method.Alphas.Select(a => a.detach().clone()).ToArray();
        var metrics = trainer.TrainStep();
        Assert.NotNull(metrics.Argmax);
        for (var l = 0; l < before.Length; l++)
            Assert.True(method.Alphas[l][method.LastPairs[l].Active].ne(before[l][method.LastPairs[l].Active]).item<bool>(), $"layer {l}: the active alpha did not move");
    }

    private sealed class Remover(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
