using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Scoring;
using NasActors.Torch.Training;
using TorchSharp;
using NasActors.Torch.Supernet.Blocks;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Scoring;

public sealed class RecalibrationTests
{
    private static SearchData Data => TestData.Embedded;

    [Fact]
    public void Recalibration_changes_BatchNorm_statistics_of_the_path_and_not_weights_or_other_blocks()
    {
        var space = BlockSpaces.FmnistMb();
        using var trainer = new SupernetTrainer(space, Data.TrainLoader(16, 1),
            new SupernetTrainingOptions { Method = PathSamplers.FairNas, Steps = 2, BatchSize = 16 }, CPU);
        trainer.TrainStep();
        var path = Architecture.Of(0, 1, 2, 3, 4, 5);
        var offPath = Architecture.Of(5, 4, 3, 2, 1, 0);
        var before = Snapshot(trainer.Network.state_dict());
        var loader = new BatchLoader(Data.Bundle.Train, 32, 3, Data.Bundle.Normalization, Data.Split.Train, dropLast: true);

        BatchNormRecalibration.Run(trainer.Network, path, loader, batches: 3, CPU);

        var after = Snapshot(trainer.Network.state_dict());
        foreach (var (name, _) in trainer.Network.named_parameters())
            Assert.Equal(before[name], after[name]);
        var pathNorms = trainer.Network.PathModules(path).SelectMany(m => m.named_modules()).Count(m => m.module is PathBatchNorm);
        Assert.True(pathNorms > 0);
        foreach (var norm in trainer.Network.PathModules(path).SelectMany(m => m.modules()).OfType<PathBatchNorm>())
        {
            Assert.Equal(3L, norm.BatchesTracked);
            Assert.False(norm.Cumulative);
            Assert.False(norm.RunningVar.allclose(ones_like(norm.RunningVar)), "running variance was not recomputed");
        }
        for (var layer = 0; layer < space.ChoiceCounts.Count; layer++)
        {
            var prefix = $"layers.{layer}.{offPath[layer]}.";
            foreach (var key in before.Keys.Where(k => k.StartsWith(prefix) && k.Contains("running_")))
                Assert.Equal(before[key], after[key]);
        }
        Assert.True(trainer.Network.training, "recalibration must restore the training mode");
    }

    [Fact]
    public void Candidate_evaluator_scores_paths_of_a_checkpoint_with_costs_and_accuracy()
    {
        using var folder = new TempFolder();
        var space = BlockSpaces.FmnistMb();
        string path;
        using (var trainer = new SupernetTrainer(space, Data.TrainLoader(16, 1),
                   new SupernetTrainingOptions { Method = PathSamplers.Spos, Steps = 2, BatchSize = 16 }, CPU))
        {
            trainer.TrainStep();
            path = trainer.SaveCheckpoint(folder.Path, Data.Metadata()).Path;
        }
        using var evaluator = new CandidateEvaluator(path, new ScoringOptions { RecalibrationBatches = 1, RecalibrationBatchSize = 16 }, CPU, data: Data);
        var score = evaluator.Evaluate(Architecture.Of(0, 0, 0, 0, 0, 0));
        Assert.InRange(score.Accuracy, 0, 1);
        Assert.True(double.IsFinite(score.Loss));
        Assert.Equal(space.Cost(score.Architecture).MultiplyAdds, score.Flops);
        Assert.Throws<ArchitectureFormatException>(() => evaluator.Evaluate(Architecture.Of(9, 0, 0, 0, 0, 0)));
    }

    private static Dictionary<string, float[]> Snapshot(IDictionary<string, Tensor> state) =>
        state.Where(kv => kv.Value.dtype == ScalarType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());
}
