using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Training;

/// <summary>FairNAS paths trained at once on several threads give exactly what one thread gives.</summary>
public sealed class PathWorkerTests
{
    private static SearchData Data => TestData.Embedded;

    private static SupernetTrainer Trainer(int workers, bool meanGradients) =>
        new(BlockSpaces.FmnistMb(), Data.TrainLoader(8, 1), new SupernetTrainingOptions
        {
            Method = PathSamplers.FairNas, Steps = 4, BatchSize = 8, MeanGradientOverPaths = meanGradients,
        }, CPU, workers);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Training_with_several_path_workers_equals_training_with_one(bool meanGradients)
    {
        using var one = Trainer(1, meanGradients);
        using var three = Trainer(3, meanGradients);
        var metrics = new List<(StepMetrics One, StepMetrics Three)>();
        while (!one.IsComplete) metrics.Add((one.TrainStep(), three.TrainStep()));

        Assert.All(metrics, m => Assert.Equal(m.One, m.Three));
        var expected = one.Network.state_dict();
        var actual = three.Network.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        // Weights and every BatchNorm's running statistics (the stem's and head's are folded from all six paths).
        foreach (var (name, tensor) in actual)
            Assert.True(tensor.eq(expected[name]).all().item<bool>(), $"{name} differs between 1 and 3 path workers");
        Assert.Contains(expected.Keys, k => k.StartsWith("stem.", StringComparison.Ordinal) && k.EndsWith("running_mean", StringComparison.Ordinal));
    }

    [Fact]
    public void The_shared_BatchNorm_statistics_are_folded_once_per_path()
    {
        using var trainer = Trainer(2, meanGradients: true);
        var stemNorms = trainer.Network.SharedModules().SelectMany(m => m.modules()).OfType<PathBatchNorm>().ToList();
        Assert.NotEmpty(stemNorms);
        Assert.All(stemNorms, n => Assert.True(n.DeferStatistics));
        trainer.TrainStep();
        trainer.TrainStep();
        Assert.All(stemNorms, n => Assert.Equal(2 * 6, n.BatchesTracked));
    }

    [Fact]
    public void Deferred_BatchNorm_statistics_fold_to_what_a_direct_training_pass_computes()
    {
        using var direct = new PathBatchNorm(5, affine: false);
        using var deferred = new PathBatchNorm(5, affine: false) { DeferStatistics = true };
        direct.train();
        deferred.train();
        var generator = new Generator(7);
        for (var pass = 0; pass < 3; pass++)
        {
            using var input = torch.randn([4, 5, 3, 3], generator: generator).mul(2).add(1);
            using var expectedOutput = direct.call(input);
            using var meanBefore = deferred.RunningMean.clone();
            var collected = PathBatchNorm.StartCollecting();
            Tensor output;
            try { output = deferred.call(input); }
            finally { PathBatchNorm.StopCollecting(); }
            using (output)
                Assert.True(output.allclose(expectedOutput, rtol: 0, atol: 1e-6), "the normalised output differs");
            Assert.Single(collected);
            Assert.True(deferred.RunningMean.eq(meanBefore).all().item<bool>(), "a deferred pass must not touch the running mean");
            foreach (var s in collected) { s.Fold(); s.Dispose(); }
        }
        Assert.True(deferred.RunningMean.allclose(direct.RunningMean, rtol: 1e-5, atol: 1e-6), "running means differ");
        Assert.True(deferred.RunningVar.allclose(direct.RunningVar, rtol: 1e-5, atol: 1e-6), "running variances differ");
        Assert.Equal(direct.BatchesTracked, deferred.BatchesTracked);
    }

    [Fact]
    public void A_deferred_BatchNorm_outside_a_collecting_pass_fails_clearly()
    {
        using var norm = new PathBatchNorm(2, affine: false) { DeferStatistics = true };
        norm.train();
        using var input = torch.ones([2, 2, 1, 1]);
        var e = Assert.Throws<InvalidOperationException>(() => norm.call(input));
        Assert.Contains("StartCollecting", e.Message);
    }

    [Fact]
    public void Path_workers_below_one_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer(0, meanGradients: false));
}
