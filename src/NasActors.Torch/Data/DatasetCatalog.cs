namespace NasActors.Torch.Data;

/// <summary>A dataset ready for a search: training and test images, class names and normalisation.</summary>
public sealed record DatasetBundle(string Name, ImageDataset Train, ImageDataset Test, Normalization Normalization, IReadOnlyList<string> ClassNames)
{
    public int Channels => Train.Channels;
    public int Height => Train.Height;
    public int Width => Train.Width;
    public int Classes => Train.Classes;
}

/// <summary>
/// Resolves a dataset name from a search spec to files:
/// <list type="bullet">
/// <item><c>fmnist-embedded</c>: the Fashion-MNIST subset shipped in this assembly (10k + 2k images);</item>
/// <item><c>fmnist</c>: the full Fashion-MNIST, from a folder given by the user or
/// <see cref="DefaultFashionMnistFolder"/> (Debian package dataset-fashion-mnist), IDX files raw or .gz;</item>
/// <item><c>cifar10</c>: CIFAR-10 binary files from a folder given by the user (the folder itself or its
/// cifar-10-batches-bin/ subfolder).</item>
/// </list>
/// A missing folder or file is a <see cref="DatasetNotFoundException"/> naming it.
/// </summary>
public static class DatasetCatalog
{
    public const string FashionMnistEmbedded = "fmnist-embedded";
    public const string FashionMnist = "fmnist";
    public const string Cifar10 = "cifar10";
    public const string DefaultFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    public static IReadOnlyList<string> Names { get; } = [FashionMnistEmbedded, FashionMnist, Cifar10];

    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<string> Cifar10Classes { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The (channels, height, width) of a dataset's images, without reading it.</summary>
    public static (int Channels, int Height, int Width) ImageShape(string name) => Normalize(name) switch
    {
        FashionMnistEmbedded or FashionMnist => (1, 28, 28),
        Cifar10 => (3, 32, 32),
        _ => throw Unknown(name),
    };

    /// <summary>Loads a dataset by name; <paramref name="folder"/> is needed for cifar10 and optional for fmnist.</summary>
    public static DatasetBundle Load(string name, string? folder = null)
    {
        switch (Normalize(name))
        {
            case FashionMnistEmbedded:
                return new DatasetBundle(FashionMnistEmbedded, EmbeddedFashionMnist.Train, EmbeddedFashionMnist.Test,
                    Normalization.FashionMnist, FashionMnistClasses);
            case FashionMnist:
            {
                var dir = RequireFolder(string.IsNullOrWhiteSpace(folder) ? DefaultFashionMnistFolder : folder, FashionMnist,
                    string.IsNullOrWhiteSpace(folder) ? " (install it with: apt-get install -y dataset-fashion-mnist, or give a folder)" : "");
                var train = IdxReader.Load(FindIdx(dir, "train-images-idx3-ubyte"), FindIdx(dir, "train-labels-idx1-ubyte"), 10, "fmnist/train");
                var test = IdxReader.Load(FindIdx(dir, "t10k-images-idx3-ubyte"), FindIdx(dir, "t10k-labels-idx1-ubyte"), 10, "fmnist/test");
                train.EnsureImageShape(1, 28, 28);
                test.EnsureImageShape(1, 28, 28);
                return new DatasetBundle(FashionMnist, train, test, Normalization.FashionMnist, FashionMnistClasses);
            }
            case Cifar10:
            {
                if (string.IsNullOrWhiteSpace(folder))
                    throw new DatasetNotFoundException("Dataset cifar10 needs a folder holding the CIFAR-10 binary files (data_batch_1.bin .. data_batch_5.bin, test_batch.bin).");
                var dir = RequireFolder(folder, Cifar10, "");
                var nested = Path.Combine(dir, "cifar-10-batches-bin");
                if (!File.Exists(Path.Combine(dir, Cifar10Reader.TestFile)) && Directory.Exists(nested)) dir = nested;
                var train = Cifar10Reader.Load(Cifar10Reader.TrainFiles.Select(f => RequireFile(dir, f, Cifar10)).ToArray(), "cifar10/train");
                var test = Cifar10Reader.Load([RequireFile(dir, Cifar10Reader.TestFile, Cifar10)], "cifar10/test");
                return new DatasetBundle(Cifar10, train, test, Normalization.Cifar10, Cifar10Classes);
            }
            default:
                throw Unknown(name);
        }
    }

    private static string Normalize(string name) => (name ?? "").Trim().ToLowerInvariant() switch
    {
        "fashion-mnist" or "fashionmnist" => FashionMnist,
        "cifar-10" => Cifar10,
        var n => n,
    };

    private static DatasetNotFoundException Unknown(string name) =>
        new($"Unknown dataset '{name}'; known: {string.Join(", ", Names)}.");

    private static string RequireFolder(string folder, string dataset, string hint)
    {
        var full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
            throw new DatasetNotFoundException($"Dataset {dataset}: folder {full} does not exist{hint}.");
        return full;
    }

    private static string RequireFile(string folder, string file, string dataset)
    {
        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
            throw new DatasetNotFoundException($"Dataset {dataset}: folder {folder} lacks {file}.");
        return path;
    }

    /// <summary>An IDX file by base name, .gz or raw.</summary>
    private static string FindIdx(string folder, string baseName)
    {
        foreach (var candidate in new[] { baseName + ".gz", baseName, baseName.Replace("-idx", ".idx") + ".gz", baseName.Replace("-idx", ".idx") })
        {
            var path = Path.Combine(folder, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DatasetNotFoundException($"Dataset {FashionMnist}: folder {folder} lacks {baseName}.gz (or {baseName}).");
    }
}
