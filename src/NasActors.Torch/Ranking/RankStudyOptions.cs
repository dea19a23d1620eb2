using System.Globalization;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Scoring;
using NasActors.Torch.Training;

namespace NasActors.Torch.Ranking;

/// <summary>
/// Everything that decides a ranking study's numbers. Both supernets get the same data, seed, batch size and
/// learning-rate recipe and the same budget per choice block: a FairNAS step trains each of the m choices of every
/// layer once on m batches, so SPOS (one path, one batch per step) gets m times the steps: both see the same number of
/// images and, in expectation, the same number of updates per choice block.
/// </summary>
public sealed record RankStudyOptions
{
    public string Space { get; init; } = BlockSpaces.FmnistMbConv;
    public string Dataset { get; init; } = DatasetCatalog.FashionMnistEmbedded;
    /// <summary>Where the dataset files are (not part of the study's identity: data may move).</summary>
    public string? DataFolder { get; init; }
    public double ValidationFraction { get; init; } = SearchData.DefaultValidationFraction;
    /// <summary>K: architectures ranked, stratified by FLOPs.</summary>
    public int Architectures { get; init; } = 12;
    public long Seed { get; init; } = 1;
    /// <summary>Stand-alone training uses only this many images of the training split (0 = all): smoke tests.</summary>
    public int TrainImages { get; init; }

    /// <summary>FairNAS optimizer steps; SPOS gets m times as many.</summary>
    public long FairNasSteps { get; init; } = 120;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    public double WeightDecay { get; init; } = 4e-5;
    public bool MeanGradients { get; init; }
    /// <summary>FairNAS warm-up steps of the learning rate (SPOS: m times as many).</summary>
    public long WarmupSteps { get; init; }
    /// <summary>Supernet checkpoints every this many steps of FairNAS (SPOS: m times as many), to resume a cut training.</summary>
    public long CheckpointEvery { get; init; } = 30;

    public int StandaloneEpochs { get; init; } = 2;
    public int StandaloneBatchSize { get; init; } = 128;
    public double StandaloneLearningRate { get; init; } = 0.1;
    public double StandaloneWeightDecay { get; init; } = 5e-4;

    public ScoringOptions Scoring { get; init; } = new();
    public int Resamples { get; init; } = 2000;
    public double Level { get; init; } = 0.95;

    public static IReadOnlyList<string> Methods { get; } = [PathSamplers.Spos, PathSamplers.FairNas];

    /// <summary>
    /// Sized for the 2-core CPU machine, with the earlier quickstart's supernet recipe: fmnist-mbconv-wide on the embedded subset
    /// (8,000 training / 2,000 validation images, 2,000 test images), K = 12, stand-alone 4 epochs of batch 128 each,
    /// FairNAS 960 steps of 6 x 32 images with mean path gradients and 20 warm-up steps (SPOS 5,760 steps of 32):
    /// 184k images per supernet.
    /// </summary>
    public static RankStudyOptions Cpu() => new()
    {
        Space = BlockSpaces.FmnistMbConvWide,
        FairNasSteps = 960, BatchSize = 32, MeanGradients = true, WarmupSteps = 20, CheckpointEvery = 160, StandaloneEpochs = 4,
    };

    /// <summary>
    /// Sized for one GPU: full Fashion-MNIST (48,000 training / 12,000 validation images, 10,000 test), K = 24,
    /// stand-alone 10 epochs each, FairNAS 2,000 steps of 6 x 256 images (about 64 epochs of images per supernet;
    /// SPOS 12,000 steps). Its expected duration: docs/rank-study.md.
    /// </summary>
    public static RankStudyOptions Gpu() => new()
    {
        Dataset = DatasetCatalog.FashionMnist, Architectures = 24, FairNasSteps = 2000, BatchSize = 256, CheckpointEvery = 250,
        StandaloneEpochs = 10, StandaloneBatchSize = 256, Scoring = new ScoringOptions { RecalibrationBatches = 20, RecalibrationBatchSize = 256, EvaluationBatchSize = 1000 },
    };

    public static RankStudyOptions Preset(string name) => name.Trim().ToLowerInvariant() switch
    {
        "cpu" => Cpu(),
        "gpu" => Gpu(),
        _ => throw new ArgumentException($"Unknown study preset '{name}'. Known presets: cpu, gpu."),
    };

    public void Validate()
    {
        if (Architectures < 2) throw new ArgumentException($"rank-study K (--architectures) must be at least 2, got {Architectures}.");
        if (FairNasSteps < 1) throw new ArgumentException($"rank-study --steps must be at least 1, got {FairNasSteps}.");
        if (CheckpointEvery < 0) throw new ArgumentException($"rank-study --checkpoint-every must be >= 0, got {CheckpointEvery}.");
        if (TrainImages < 0) throw new ArgumentException($"rank-study --train-images must be >= 0, got {TrainImages}.");
        if (Resamples < 1) throw new ArgumentException($"rank-study --resamples must be at least 1, got {Resamples}.");
        if (Level is <= 0 or >= 1) throw new ArgumentException($"rank-study --level must be in (0, 1), got {Level}.");
        Standalone().Validate();
        Scoring.Validate();
        var space = BlockSpaces.Get(Space);
        foreach (var m in Methods) SupernetOptions(m, space).Validate();
    }

    /// <summary>The supernet recipe of a method, with the equal per-choice budget.</summary>
    public SupernetTrainingOptions SupernetOptions(string method, BlockSpace space) => new()
    {
        Method = method,
        Steps = method == PathSamplers.FairNas ? FairNasSteps : FairNasSteps * ChoicesPerLayer(space),
        WarmupSteps = method == PathSamplers.FairNas ? WarmupSteps : WarmupSteps * ChoicesPerLayer(space),
        BatchSize = BatchSize, LearningRate = LearningRate, WeightDecay = WeightDecay, Seed = Seed,
        MeanGradientOverPaths = MeanGradients && method == PathSamplers.FairNas,
    };

    public long CheckpointEveryFor(string method, BlockSpace space) =>
        method == PathSamplers.FairNas ? CheckpointEvery : CheckpointEvery * ChoicesPerLayer(space);

    public StandaloneOptions Standalone() => new()
    {
        Epochs = StandaloneEpochs, BatchSize = StandaloneBatchSize, LearningRate = StandaloneLearningRate,
        WeightDecay = StandaloneWeightDecay, Seed = Seed,
    };

    public static int ChoicesPerLayer(BlockSpace space) => space.ChoiceCounts.Distinct().Count() == 1
        ? space.ChoiceCounts[0]
        : throw new ArgumentException($"A SPOS/FairNAS ranking study needs the same number of choices in every layer; space '{space.Name}' has {string.Join(",", space.ChoiceCounts.Distinct())}.");
}
