using System.Globalization;

namespace NasActors.Torch.Data;

/// <summary>
/// The data of one search: a dataset and its deterministic split into supernet-training images and held-out
/// validation images that score candidates. Checkpoints record how it was made, so scoring rebuilds the same split.
/// </summary>
public sealed record SearchData(DatasetBundle Bundle, DatasetSplit Split, string? Folder, double ValidationFraction, long SplitSeed)
{
    public const double DefaultValidationFraction = 0.2;

    public static SearchData Load(string dataset, string? folder, double validationFraction, long splitSeed)
    {
        if (validationFraction is <= 0 or >= 1)
            throw new ArgumentException($"validation fraction must be in (0, 1), got {validationFraction}.");
        var bundle = DatasetCatalog.Load(dataset, folder);
        return new SearchData(bundle, DatasetSplit.Stratified(bundle.Train, validationFraction, splitSeed), folder, validationFraction, splitSeed);
    }

    /// <summary>
    /// The same data with the training split cut to a fixed, seeded subset of <paramref name="trainImages"/> images
    /// (0 or more than there are: all), e.g. for a smoke test of stand-alone training.
    /// </summary>
    public SearchData WithTrainImages(int trainImages, long seed)
    {
        if (trainImages < 0) throw new ArgumentException($"train images must be >= 0, got {trainImages}.");
        if (trainImages == 0 || trainImages >= Split.Train.Length) return this;
        var copy = (int[])Split.Train.Clone();
        NasActors.Core.Determinism.DeterministicRandom.For(seed, "train-subset").Shuffle(copy);
        return this with { Split = new DatasetSplit(copy[..trainImages], Split.Validation) };
    }

    /// <summary>The shuffled, drop-last stream of supernet-training batches.</summary>
    public BatchLoader TrainLoader(int batchSize, long seed) =>
        new(Bundle.Train, batchSize, seed, Bundle.Normalization, Split.Train, shuffle: true, dropLast: true);

    /// <summary>
    /// The training split cut in two for a method with architecture parameters: a stratified
    /// <paramref name="architectureFraction"/> of it trains the architecture (DARTS: half), the rest the weights. The
    /// validation split that scores candidates and the test set stay untouched. Sorted dataset indices; a pure
    /// function of (the training split, fraction, seed).
    /// </summary>
    public (int[] Weights, int[] Architecture) ArchitectureSplit(double architectureFraction, long seed)
    {
        if (!(architectureFraction > 0 && architectureFraction < 1))
            throw new ArgumentException($"architecture split must be in (0, 1), got {architectureFraction}.");
        var labels = Split.Train.Select(i => Bundle.Train.Labels[i]).ToArray();
        var cut = DatasetSplit.Stratified(labels, Bundle.Classes, architectureFraction,
            (long)(NasActors.Core.Determinism.DeterministicRandom.Mix(seed, "architecture-split") >> 1));
        return (cut.Train.Select(i => Split.Train[i]).ToArray(), cut.Validation.Select(i => Split.Train[i]).ToArray());
    }

    /// <summary>
    /// The batch streams a training method reads: the weight stream (the whole training split for SPOS and FairNAS,
    /// as ever) and, for a method with architecture parameters, the architecture split's stream.
    /// </summary>
    public (BatchLoader Weights, BatchLoader? Architecture) TrainingLoaders(NasActors.Torch.Training.SupernetTrainingOptions options)
    {
        var method = NasActors.Torch.Methods.TrainingMethods.Get(options.Method);
        if (!method.HasArchitectureParameters) return (TrainLoader(options.BatchSize, options.Seed), null);
        var (weights, architecture) = ArchitectureSplit(options.Architecture.Split ?? method.ArchitectureFraction, options.Seed);
        return (new BatchLoader(Bundle.Train, options.BatchSize, options.Seed, Bundle.Normalization, weights, shuffle: true, dropLast: true),
            new BatchLoader(Bundle.Train, options.BatchSize, (long)(NasActors.Core.Determinism.DeterministicRandom.Mix(options.Seed, "architecture-batches") >> 1),
                Bundle.Normalization, architecture, shuffle: true, dropLast: true));
    }

    /// <summary>The test set, in order: for final numbers only.</summary>
    public BatchLoader TestLoader(int batchSize) =>
        new(Bundle.Test, batchSize, 0, Bundle.Normalization, shuffle: false);

    /// <summary>Fails with a message naming both shapes when the images do not fit the space.</summary>
    public void EnsureFits(NasActors.Core.Spaces.Blocks.BlockSpace space)
    {
        Bundle.Train.EnsureImageShape(space.Input.Channels, space.Input.Height, space.Input.Width);
        if (Bundle.Classes != space.Classes)
            throw new ArgumentException($"Dataset {Bundle.Name} has {Bundle.Classes} classes, space '{space.Name}' was built for {space.Classes}.");
    }

    public IReadOnlyDictionary<string, string> Metadata() => new Dictionary<string, string>
    {
        ["dataset"] = Bundle.Name,
        ["dataset-folder"] = Folder ?? "",
        ["validation-fraction"] = ValidationFraction.ToString("R", CultureInfo.InvariantCulture),
        ["split-seed"] = SplitSeed.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Rebuilds the data a checkpoint was trained on; <paramref name="folderOverride"/> for data moved since.</summary>
    public static SearchData FromMetadata(IReadOnlyDictionary<string, string> metadata, string? folderOverride = null)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new ArgumentException($"Checkpoint metadata lacks '{key}'.");
        var folder = folderOverride ?? (string.IsNullOrEmpty(Get("dataset-folder")) ? null : Get("dataset-folder"));
        return Load(Get("dataset"), folder,
            double.Parse(Get("validation-fraction"), CultureInfo.InvariantCulture),
            long.Parse(Get("split-seed"), CultureInfo.InvariantCulture));
    }
}
