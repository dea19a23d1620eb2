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
