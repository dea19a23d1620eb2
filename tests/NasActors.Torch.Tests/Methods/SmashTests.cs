using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Methods.Smash;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class SmashTests
{
    private static SupernetTrainer Trainer(long steps = 4) => MethodResumeTests.Trainer(SmashMethod.MethodName, false, steps);

    [Fact]
    public void Generated_weights_have_the_shapes_of_the_block()
    {
        using var trainer = Trainer();
        var method = (SmashMethod)trainer.Method;
        using var noGrad = torch.no_grad();
        for (var l = 0; l < trainer.Space.ChoiceCounts.Count; l++)
            for (var c = 0; c < trainer.Space.ChoiceCounts[l]; c++)
            {
                var block = (MbConvBlock)trainer.Network.Block(l, c);
                var (expand, project) = method.Hypernetwork.Generate(l, c);
                Assert.Equal(block.ConvWeight("expand").shape, expand.shape);
                Assert.Equal(block.ConvWeight("project").shape, project.shape);
            }
    }

    [Fact]
    public void Gradients_reach_the_hypernetwork()
    {
        using var trainer = Trainer();
        var method = (SmashMethod)trainer.Method;
        var before = method.Hypernetwork.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        trainer.TrainStep();
        var path = method.PathAt(0);
        foreach (var (name, p) in method.Hypernetwork.named_parameters())
        {
            var usedHead = name.StartsWith("trunk", StringComparison.Ordinal) || name.StartsWith("heads.", StringComparison.Ordinal);
            Assert.True(usedHead);
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, $"{name}: zero gradient");
            Assert.False(p.eq(before[name]).all().item<bool>(), $"{name} did not move");
        }
        // The supernet's own pointwise weights are not used: they get no gradient.
        var block = (MbConvBlock)trainer.Network.Block(0, path[0]);
        Assert.True(block.ConvWeight("expand").grad is null || block.ConvWeight("expand").grad!.IsInvalid);
        Assert.NotNull(block.ConvWeight("dw").grad);
    }

    [Fact]
    public void Different_encodings_give_different_weights()
    {
        using var trainer = Trainer();
        var method = (SmashMethod)trainer.Method;
        using var noGrad = torch.no_grad();
        // Same shapes, different choices: e3-k3 and e3-k5 of a layer.
        var (e33, p33) = method.Hypernetwork.Generate(2, MbConvSpace.ChoiceIndex(3, 3));
        var (e35, p35) = method.Hypernetwork.Generate(2, MbConvSpace.ChoiceIndex(3, 5));
        Assert.False(e33.allclose(e35));
        Assert.False(p33.allclose(p35));
        // The widest choice's weights hold the others' as their first rows (expand) and columns (project), but are not
        // the same weights: the encoding, not the slicing alone, decides them.
        var (e63, p63) = method.Hypernetwork.Generate(2, MbConvSpace.ChoiceIndex(6, 3));
        Assert.False(e63.narrow(0, 0, e33.shape[0]).allclose(e33));
        Assert.False(p63.narrow(1, 0, p33.shape[1]).allclose(p33));
    }

    [Fact]
    public void A_SMASH_checkpoint_scores_a_candidate_with_its_generated_weights()
    {
        using var folder = new TempFolder();
        using var trainer = Trainer();
        var method = (SmashMethod)trainer.Method;
        trainer.TrainStep();
        trainer.TrainStep();
        var info = trainer.SaveCheckpoint(folder.Path, TestData.Embedded.Metadata());
        using var loaded = Checkpoint.Load(info.Path);
        using var scoring = SupernetCheckpoint.LoadNetwork(loaded, CPU);
        var path = new Architecture([5, 0, 3, 1, 4, 2]);
        using var batch = TestData.Embedded.TrainLoader(8, 1).GetBatch(0, CPU);
        using var noGrad = torch.no_grad();
        trainer.Network.eval();
        scoring.eval();
        using var generated = method.Forward(batch.Images, path);
        using var scored = scoring.Forward(batch.Images, path);
        Assert.True(generated.allclose(scored, rtol: 0, atol: 1e-6), $"max difference {generated.sub(scored).abs().max().item<float>()}");
    }

    [Fact]
    public void SMASH_refuses_a_space_without_MBConv_blocks()
    {
        var options = new SupernetTrainingOptions { Method = SmashMethod.MethodName, Steps = 2, BatchSize = 8 };
        var (weights, _) = TestData.Embedded.TrainingLoaders(options);
        var e = Assert.Throws<ArgumentException>(() => new SupernetTrainer(BlockSpaces.Get(BlockSpaces.FmnistShuffleNet), weights, options, CPU));
        Assert.Contains("not an MBConv space", e.Message);
    }
}
