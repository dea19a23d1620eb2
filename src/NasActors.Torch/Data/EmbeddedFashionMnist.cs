namespace NasActors.Torch.Data;

/// <summary>
/// The Fashion-MNIST subset shipped inside this assembly: 10,000 training and 2,000 test images, balanced per
/// class (see Data/FashionMnistSubset/README.md and LICENSE, MIT, Zalando SE).
/// </summary>
public static class EmbeddedFashionMnist
{
    public const long SelectionSeed = 20261127;
    public const int TrainPerClass = 1000;
    public const int TestPerClass = 200;
    public const string TrainPurpose = "fmnist-embedded/train";
    public const string TestPurpose = "fmnist-embedded/test";

    private const string Prefix = "NasActors.Torch.FashionMnistSubset.";
    public const string TrainImages = "train-images-idx3-ubyte.gz";
    public const string TrainLabels = "train-labels-idx1-ubyte.gz";
    public const string TestImages = "test-images-idx3-ubyte.gz";
    public const string TestLabels = "test-labels-idx1-ubyte.gz";

    private static readonly Lazy<ImageDataset> LazyTrain = new(() => LoadResource(TrainImages, TrainLabels, "fmnist-embedded/train"));
    private static readonly Lazy<ImageDataset> LazyTest = new(() => LoadResource(TestImages, TestLabels, "fmnist-embedded/test"));

    /// <summary>The 10,000 training images (read once per process; treat as read-only).</summary>
    public static ImageDataset Train => LazyTrain.Value;

    /// <summary>The 2,000 test images (read once per process; treat as read-only).</summary>
    public static ImageDataset Test => LazyTest.Value;

    /// <summary>The selection that made the shipped files, applied to the full training and test sets.</summary>
    public static (ImageDataset Train, ImageDataset Test) SelectFrom(ImageDataset fullTrain, ImageDataset fullTest) =>
        (fullTrain.Subset(DatasetSplit.BalancedSubset(fullTrain, TrainPerClass, SelectionSeed, TrainPurpose), "fmnist-embedded/train"),
         fullTest.Subset(DatasetSplit.BalancedSubset(fullTest, TestPerClass, SelectionSeed, TestPurpose), "fmnist-embedded/test"));

    /// <summary>Writes the four IDX .gz files of a (train, test) pair into a folder.</summary>
    public static void WriteFiles((ImageDataset Train, ImageDataset Test) subset, string folder)
    {
        Directory.CreateDirectory(folder);
        IdxWriter.Write(subset.Train, Path.Combine(folder, TrainImages), Path.Combine(folder, TrainLabels));
        IdxWriter.Write(subset.Test, Path.Combine(folder, TestImages), Path.Combine(folder, TestLabels));
    }

    private static ImageDataset LoadResource(string images, string labels, string name)
    {
        using var i = Open(images);
        using var l = Open(labels);
        return IdxReader.Load(i, "resource " + Prefix + images, l, "resource " + Prefix + labels, 10, name);
    }

    private static Stream Open(string file) =>
        typeof(EmbeddedFashionMnist).Assembly.GetManifestResourceStream(Prefix + file)
        ?? throw new DatasetNotFoundException($"Embedded resource {Prefix}{file} is missing from {typeof(EmbeddedFashionMnist).Assembly.Location}.");
}
