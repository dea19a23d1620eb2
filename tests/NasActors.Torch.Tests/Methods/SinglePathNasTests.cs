using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Methods.SinglePathNas;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Methods;

public sealed class SinglePathNasTests
{
    private static SupernetTrainer Trainer(long steps = 4, long warmup = 0, double? lambda = null, double? learningRate = null)
    {
        var options = new SupernetTrainingOptions
        {
            Method = SinglePathNasMethod.MethodName, Steps = steps, BatchSize = 8, Seed = 5,
            Architecture = new ArchitectureOptions { WarmupSteps = warmup, LatencyLambda = lambda, LearningRate = learningRate },
        };
        var (weights, _) = TestData.Embedded.TrainingLoaders(options);
        return new SupernetTrainer(BlockSpaces.FmnistMb(), weights, options, CPU, 1, null, MethodTestSupport.FlopsAsLatencyStandIn());
    }

    public static TheoryData<int, int> LayersAndChoices()
    {
        var data = new TheoryData<int, int>();
        foreach (var layer in new[] { 1, 2 }) // stride 2 and widening; stride 1 with the shortcut
            for (var c = 0; c < MbConvSpace.Choices.Count; c++) data.Add(layer, c);
        return data;
    }

    [Theory]
    [MemberData(nameof(LayersAndChoices))]
    public void A_superkernel_with_forced_indicators_gives_the_output_of_the_choice_block_built_from_its_slice(int layer, int choice)
    {
        using var trainer = Trainer();
        trainer.TrainStep(); // weights and BatchNorm statistics away from their initial values
        var method = (SinglePathNasMethod)trainer.Method;
        var space = (MbConvSpace)trainer.Space;
        var l = space.Layers[layer];
        using var reference = BlockNetwork.Supernet(space);
        var block = (MbConvBlock)reference.Block(layer, choice);
        Superkernel.Slice(method.SuperkernelOf(layer), block, l, MbConvSpace.Choices[choice]);
        using var x = torch.randn(6, l.InChannels, l.InputSize, l.InputSize, generator: new Generator(11));
        using var noGrad = torch.no_grad();
        var forced = Indicators.Of(MbConvSpace.Choices[choice], CPU);
        Assert.Equal(MbConvSpace.Choices[choice], forced.Choice());
        foreach (var training in new[] { false, true })
        {
            method.SuperkernelOf(layer).train(training);
            block.train(training);
            using var expected = block.call(x);
            using var actual = Superkernel.Forward(method.SuperkernelOf(layer), l, x, forced);
            var difference = actual.sub(expected).abs().max().item<float>();
            Assert.True(difference == 0, $"not bitwise equal: {MbConvSpace.Choices[choice]} ({(training ? "train" : "eval")} mode): max difference {difference}");
        }
    }

    [Fact]
    public void Gradients_reach_the_thresholds()
    {
        using var trainer = Trainer();
        var method = (SinglePathNasMethod)trainer.Method;
        using var before = method.Thresholds.detach().clone();
        trainer.TrainStep();
        Assert.NotNull(method.Thresholds.grad);
        using var grad = method.Thresholds.grad!.abs();
        Assert.True(grad.gt(0).all().item<bool>(), $"threshold gradients: {grad.str()}");
        Assert.True(method.Thresholds.ne(before).all().item<bool>());
    }

    [Fact]
    public void A_large_lambda_turns_indicators_off_and_lowers_the_runtime()
    {
        using var trainer = Trainer(steps: 12, lambda: 50, learningRate: 0.01);
        var method = (SinglePathNasMethod)trainer.Method;
        var table = MethodTestSupport.FlopsAsLatencyStandIn();
        var first = method.DerivedArchitecture();
        Assert.Equal(SinglePathNasMethod.SuperkernelPath(trainer.Space), first); // thresholds at 0: everything on
        while (!trainer.IsComplete) trainer.TrainStep();
        var last = method.DerivedArchitecture();
        var before = table.Cost(CostMetrics.Latency, first);
        var after = table.Cost(CostMetrics.Latency, last);
        Assert.True(after < before, $"runtime {before} -> {after} ({trainer.Space.Format(last)})");
        Assert.True(method.LastRuntime < before);
        var (offBefore, offAfter) = (Off(first), Off(last));
        Assert.True(offAfter > offBefore, $"{offBefore} -> {offAfter} indicators off");
        Assert.Equal([last], method.Derived());

        static int Off(Architecture a) => a.Sum(c => (MbConvSpace.Choices[c].Expansion == 3 ? 1 : 0) + (7 - MbConvSpace.Choices[c].Kernel) / 2);
    }

    [Fact]
    public void In_the_first_phase_the_thresholds_stay_and_indicators_are_dropped()
    {
        using var trainer = Trainer(steps: 6, warmup: 3);
        var method = (SinglePathNasMethod)trainer.Method;
        var table = MethodTestSupport.FlopsAsLatencyStandIn();
        var largest = table.Cost(CostMetrics.Latency, SinglePathNasMethod.SuperkernelPath(trainer.Space));
        var runtimes = new List<double>();
        for (var s = 0; s < 3; s++)
        {
            trainer.TrainStep();
            runtimes.Add(method.LastRuntime);
            Assert.True(method.Thresholds.eq(0).all().item<bool>());
        }
        // 18 indicators per step, each dropped with 0.2: some step ran below the largest architecture's runtime.
        Assert.Contains(runtimes, r => r < largest - 1e-9);
        trainer.TrainStep();
        Assert.False(method.Thresholds.eq(0).all().item<bool>());
    }

    [Fact]
    public void A_Single_Path_NAS_checkpoint_scores_a_candidate_with_its_sliced_superkernels()
    {
        using var folder = new TempFolder();
        using var trainer = Trainer();
        var method = (SinglePathNasMethod)trainer.Method;
        trainer.TrainStep();
        var info = trainer.SaveCheckpoint(folder.Path, TestData.Embedded.Metadata());
        using (var loaded = Checkpoint.Load(info.Path))
        {
            Assert.Equal($"[\"{trainer.Space.Format(method.DerivedArchitecture())}\"]", loaded.Metadata["derived-architectures"]);
            using var scoring = SupernetCheckpoint.LoadNetwork(loaded, CPU);
            var path = new Architecture([0, 5, 1, 4, 2, 3]);
            using var batch = TestData.Embedded.TrainLoader(8, 1).GetBatch(0, CPU);
            using var noGrad = torch.no_grad();
            trainer.Network.eval();
            scoring.eval();
            using var expected = method.Forward(batch.Images, path.Select(c => Indicators.Of(MbConvSpace.Choices[c], CPU)).ToArray());
            using var actual = scoring.Forward(batch.Images, path);
            var difference = actual.sub(expected).abs().max().item<float>();
            Assert.True(difference == 0, $"not bitwise equal: max difference {difference}");
        }
    }

    [Fact]
    public void Single_Path_NAS_without_a_latency_table_is_refused()
    {
        var options = new SupernetTrainingOptions { Method = SinglePathNasMethod.MethodName, Steps = 2, BatchSize = 8 };
        var (weights, _) = TestData.Embedded.TrainingLoaders(options);
        var e = Assert.Throws<ArgumentException>(() => new SupernetTrainer(BlockSpaces.FmnistMb(), weights, options, CPU));
        Assert.Contains("latency table", e.Message);
    }
}
