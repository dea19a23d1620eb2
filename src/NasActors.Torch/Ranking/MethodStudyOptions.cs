using System.Globalization;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Methods;
using NasActors.Torch.Sampling;
using NasActors.Torch.Scoring;
using NasActors.Torch.Training;

namespace NasActors.Torch.Ranking;

/// <summary>
/// Everything that decides a method study's numbers. Every method's supernet gets the same data, seed, batch size and
/// learning-rate recipe and the same budget of weight-stream images (<see cref="SupernetImages"/>): a FairNAS step
/// trains each of the m choices of every layer on its own batch, so it takes m batches per step and gets 1/m of the
/// steps of the one-batch methods. The reference is stand-alone training of the same K architectures with
/// <see cref="Seeds"/> seeds, on <see cref="ReferenceDataset"/>.
/// </summary>
public sealed record MethodStudyOptions
{
    public string Space { get; init; } = BlockSpaces.FmnistMbConv;
    /// <summary>What the supernets train on and are scored on (validation split).</summary>
    public string Dataset { get; init; } = DatasetCatalog.FashionMnistEmbedded;
    /// <summary>What the stand-alone reference trains on (training split, cut to <see cref="TrainImages"/>) and is tested on.</summary>
    public string ReferenceDataset { get; init; } = DatasetCatalog.FashionMnistEmbedded;
    /// <summary>Where the dataset files are (not part of the study's identity: data may move).</summary>
    public string? DataFolder { get; init; }
    /// <summary>K: architectures ranked, stratified by FLOPs.</summary>
    public int Architectures { get; init; } = 12;
    /// <summary>Seed of the sample, the supernets, the bootstrap; stand-alone seed i (0-based) is Seed + i.</summary>
    public long Seed { get; init; } = 1;
    /// <summary>Stand-alone training seeds per architecture (the reference is their mean).</summary>
    public int Seeds { get; init; } = 3;
    /// <summary>Stand-alone training uses only this many images of the training split (0 = all).</summary>
    public int TrainImages { get; init; }

    /// <summary>The training methods compared (registered names, <see cref="TrainingMethods.Names"/>).</summary>
    public IReadOnlyList<string> Methods { get; init; } = TrainingMethods.Names;
    /// <summary>Weight-stream images each method's supernet training sees (its budget).</summary>
    public long SupernetImages { get; init; } = 60_000;
    public int BatchSize { get; init; } = 64;
    public double LearningRate { get; init; } = 0.1;
    /// <summary>Per-method learning rates where a method must differ (METHOD=LR); the others use <see cref="LearningRate"/>.</summary>
    public IReadOnlyDictionary<string, double> LearningRateOf { get; init; } = new Dictionary<string, double>();
    public double WeightDecay { get; init; } = 4e-5;
    /// <summary>FairNAS: shared parameters move by the mean of the m path gradients.</summary>
    public bool MeanGradients { get; init; } = true;
    /// <summary>Learning-rate warm-up, as a fraction of each method's steps.</summary>
    public double WarmupFraction { get; init; } = 0.02;
    /// <summary>Checkpoints per supernet training (to resume a cut training).</summary>
    public int Checkpoints { get; init; } = 6;

    public int StandaloneEpochs { get; init; } = 2;
    public int StandaloneBatchSize { get; init; } = 128;
    public double StandaloneLearningRate { get; init; } = 0.1;
    public double StandaloneWeightDecay { get; init; } = 5e-4;

    /// <summary>A per-layer latency table file (<c>nas latency-table</c> writes one; full path): Single-Path NAS needs one (the study
    /// gives it to spnas only), and the table's latency column comes from it. Null: no latency (spnas fails, saying so).</summary>
    public string? LatencyTable { get; init; }

    public ScoringOptions Scoring { get; init; } = new();
    public int Resamples { get; init; } = 2000;
    public double Level { get; init; } = 0.95;
    /// <summary>Tau among the architectures whose reference is in this top fraction.</summary>
    public double TopFraction { get; init; } = 0.2;

    /// <summary>
    /// The 2-core CPU machine (sized by measured components, docs/method-study.md): fmnist-cell (its none and skip
    /// operations spread stand-alone accuracies from chance to 84%, so the reference orders them: seed tau 0.90 in a
    /// pilot, against 0.07 for fmnist-mbconv's 0.9-point spread), K = 12, every method 20,000 weight-stream images of
    /// batch 64 on the embedded subset; the reference: 3 seeds x 2 epochs of 10,000 images of the full Fashion-MNIST
    /// (tested on its 10,000 test images) when it is installed, the embedded subset otherwise.
    /// </summary>
    public static MethodStudyOptions Cpu(bool fullDataInstalled) => new()
    {
        Space = BlockSpaces.FmnistCell, Architectures = 12, SupernetImages = 20_000, BatchSize = 64,
        ReferenceDataset = fullDataInstalled ? DatasetCatalog.FashionMnist : DatasetCatalog.FashionMnistEmbedded,
        TrainImages = fullDataInstalled ? 10_000 : 0, StandaloneEpochs = 2,
        Scoring = new ScoringOptions { RecalibrationBatches = 4, RecalibrationBatchSize = 128, EvaluationBatchSize = 32 },
    };

    /// <summary>
    /// One H200-class GPU, sized for about 8 minutes of work (deploy/gpu/method-study.sh gives it a time limit): the CPU
    /// preset's fmnist-cell on the full Fashion-MNIST for everything, K = 12, every method 240k weight-stream images of
    /// batch 256 (5 epochs of the 48,000 training images), the reference 3 seeds x 3 epochs of the 48,000, tested on the 10,000.
    /// </summary>
    public static MethodStudyOptions Gpu() => new()
    {
        Space = BlockSpaces.FmnistCell, Dataset = DatasetCatalog.FashionMnist, ReferenceDataset = DatasetCatalog.FashionMnist,
        Architectures = 12, SupernetImages = 240_000, BatchSize = 256, MeanGradients = true,
        StandaloneEpochs = 3, StandaloneBatchSize = 256,
        Scoring = new ScoringOptions { RecalibrationBatches = 20, RecalibrationBatchSize = 256, EvaluationBatchSize = 1000 },
    };

    public static MethodStudyOptions Preset(string name, bool fullDataInstalled) => name.Trim().ToLowerInvariant() switch
    {
        "cpu" => Cpu(fullDataInstalled),
        "gpu" => Gpu(),
        _ => throw new ArgumentException($"Unknown study preset '{name}'. Known presets: cpu, gpu."),
    };

    /// <summary>True when the full Fashion-MNIST is where <c>fmnist</c> reads it (the folder given, or the Debian package's).</summary>
    public static bool FullFashionMnistInstalled(string? folder) =>
        File.Exists(Path.Combine(string.IsNullOrWhiteSpace(folder) ? DatasetCatalog.DefaultFashionMnistFolder : folder, "t10k-images-idx3-ubyte.gz"))
        || File.Exists(Path.Combine(string.IsNullOrWhiteSpace(folder) ? DatasetCatalog.DefaultFashionMnistFolder : folder, "t10k-images-idx3-ubyte"));

    public void Validate()
    {
        if (Architectures < 2) throw new ArgumentException($"method-study K (--architectures) must be at least 2, got {Architectures}.");
        if (Seeds < 2) throw new ArgumentException($"method-study --seeds must be at least 2 (the reference's seed halves), got {Seeds}.");
        if (SupernetImages < 1) throw new ArgumentException($"method-study --supernet-images must be at least 1, got {SupernetImages}.");
        if (TrainImages < 0) throw new ArgumentException($"method-study --train-images must be >= 0, got {TrainImages}.");
        if (Resamples < 1) throw new ArgumentException($"method-study --resamples must be at least 1, got {Resamples}.");
        if (Level is <= 0 or >= 1) throw new ArgumentException($"method-study --level must be in (0, 1), got {Level}.");
        if (WarmupFraction is < 0 or >= 1) throw new ArgumentException($"method-study warm-up fraction must be in [0, 1), got {WarmupFraction}.");
        if (Methods.Count == 0) throw new ArgumentException("method-study --methods names no method.");
        foreach (var m in Methods) TrainingMethods.Get(m); // names an unknown one
        if (Methods.Distinct(StringComparer.OrdinalIgnoreCase).Count() != Methods.Count)
            throw new ArgumentException($"method-study --methods names a method twice: {string.Join(",", Methods)}.");
        foreach (var m in LearningRateOf.Keys)
            if (!Methods.Contains(m, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"method-study --method-learning-rate names '{m}', which is not among --methods ({string.Join(",", Methods)}).");
        Standalone(0).Validate();
        Scoring.Validate();
        var space = BlockSpaces.Get(Space);
        foreach (var m in Methods) SupernetOptions(m, space).Validate();
    }

    /// <summary>The supernet recipe of a method: <see cref="SupernetImages"/> weight-stream images, whatever a step takes.</summary>
    public SupernetTrainingOptions SupernetOptions(string method, BlockSpace space)
    {
        var name = TrainingMethods.Get(method).Name;
        var steps = Math.Max(1, SupernetImages / ((long)BatchSize * WeightBatchesPerStep(name, space)));
        return new SupernetTrainingOptions
        {
            Method = name, Steps = steps, WarmupSteps = Math.Min(steps - 1, (long)Math.Round(steps * WarmupFraction)),
            BatchSize = BatchSize, LearningRate = LearningRateFor(name), WeightDecay = WeightDecay, Seed = Seed,
            MeanGradientOverPaths = MeanGradients && name == PathSamplers.FairNas,
        };
    }

    public double LearningRateFor(string method) =>
        LearningRateOf.FirstOrDefault(kv => string.Equals(kv.Key, method, StringComparison.OrdinalIgnoreCase)) is { Key: not null } kv
            ? kv.Value
            : LearningRate;

    public long CheckpointEveryFor(string method, BlockSpace space) => Math.Max(1, SupernetOptions(method, space).Steps / Math.Max(1, Checkpoints));

    /// <summary>Weight-stream batches one step of a method takes: m for FairNAS (one per choice), 1 otherwise.</summary>
    public static int WeightBatchesPerStep(string method, BlockSpace space) =>
        string.Equals(method, PathSamplers.FairNas, StringComparison.OrdinalIgnoreCase) ? ChoicesPerLayer(space) : 1;

    /// <summary>Stand-alone training of seed index <paramref name="seedIndex"/> (0-based).</summary>
    public StandaloneOptions Standalone(int seedIndex) => new()
    {
        Epochs = StandaloneEpochs, BatchSize = StandaloneBatchSize, LearningRate = StandaloneLearningRate,
        WeightDecay = StandaloneWeightDecay, Seed = Seed + seedIndex,
    };

    public static int ChoicesPerLayer(BlockSpace space) => space.ChoiceCounts.Distinct().Count() == 1
        ? space.ChoiceCounts[0]
        : throw new ArgumentException($"A method study needs the same number of choices in every layer (FairNAS); space '{space.Name}' has {string.Join(",", space.ChoiceCounts.Distinct())}.");

    /// <summary>Parses METHOD=LR pairs (comma-separated); a bad pair fails naming it.</summary>
    public static IReadOnlyDictionary<string, double> ParseLearningRates(string text)
    {
        var result = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var lr) || !(lr > 0) || !double.IsFinite(lr))
                throw new ArgumentException($"method-study --method-learning-rate: '{pair}' is not METHOD=LR with a positive LR.");
            result[TrainingMethods.Get(parts[0]).Name] = lr;
        }
        return result;
    }
}
