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
/// <item><c>synthetic</c>: random images at a space's own input shape, for throughput and memory measurements only
/// (<see cref="ForSpace"/> turns it into <c>synthetic-CxHxW-K</c>, the name checkpoints record).</item>
/// </list>
/// A missing folder or file is a <see cref="DatasetNotFoundException"/> naming it.
/// </summary>
public static class DatasetCatalog
{
    public const string FashionMnistEmbedded = "fmnist-embedded";
    public const string FashionMnist = "fmnist";
    public const string Cifar10 = "cifar10";
    public const string DefaultFashionMnistFolder = "/usr/share/datasets/fashion-mnist";

    public const string Synthetic = "synthetic";

    /// <summary>Images (training + test) of a synthetic dataset: enough for batches of a few hundred from every split a
    /// method cuts (FBNet's architecture split is 16% of the images), about 390 MB at 224x224x3.</summary>
    public const int SyntheticTrainImages = 2560, SyntheticTestImages = 256;

    public static IReadOnlyList<string> Names { get; } = [FashionMnistEmbedded, FashionMnist, Cifar10, Synthetic];

    /// <summary>
    /// The dataset name to load for a space: <c>synthetic</c> becomes <c>synthetic-CxHxW-K</c> at the space's input
    /// shape and classes; any other name is returned as it is.
    /// </summary>
    public static string ForSpace(string name, NasActors.Core.Spaces.Blocks.BlockSpace space) =>
        Normalize(name) == Synthetic ? $"{Synthetic}-{space.Input.Channels}x{space.Input.Height}x{space.Input.Width}-{space.Classes}" : name;

    /// <summary>
    /// Random images and labels, the same for the same shape whatever the seed of the training that reads them (the
    /// training's seed still orders the batches): uniform bytes per pixel, labels uniform over min(classes, 256)
    /// (labels are bytes). Their accuracy means nothing; their step time and memory are those of real images.
    /// </summary>
    private static DatasetBundle LoadSynthetic(string name)
    {
        var m = System.Text.RegularExpressions.Regex.Match(name, @"^synthetic-(\d{1,4})x(\d{1,5})x(\d{1,5})-(\d{1,5})$");
        if (!m.Success)
            throw new DatasetNotFoundException($"Dataset '{name}': synthetic images take the input shape of the space they train " +
                                               "(nas train / benchmark-methods --dataset synthetic), or are named synthetic-CxHxW-K.");
        int Part(int i) => int.Parse(m.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture);
        var (c, h, w, k) = (Part(1), Part(2), Part(3), Part(4));
        if (c < 1 || h < 1 || w < 1 || k < 1 || k > 65536 || (long)c * h * w > 64L << 20)
            throw new DatasetNotFoundException($"Dataset '{name}': the shape {c}x{h}x{w} with {k} classes is out of range.");
        ImageDataset Make(string part, int count)
        {
            var rng = NasActors.Core.Determinism.DeterministicRandom.For(0, $"{name}/{part}");
            var pixels = new byte[(long)count * c * h * w];
            for (long i = 0; i < pixels.LongLength; i += 8)
            {
                var bits = rng.NextULong();
                for (var b = 0; b < 8 && i + b < pixels.LongLength; b++) pixels[i + b] = (byte)(bits >> (8 * b));
            }
            var labels = new byte[count];
            for (var i = 0; i < count; i++) labels[i] = (byte)rng.NextInt(Math.Min(k, 256));
            return new ImageDataset($"{name}/{part}", pixels, labels, count, c, h, w, k);
        }
        var half = Enumerable.Repeat(0.5f, c).ToArray();
        var std = Enumerable.Repeat(0.2887f, c).ToArray(); // of a uniform [0, 1] pixel
        return new DatasetBundle(name, Make("train", SyntheticTrainImages), Make("test", SyntheticTestImages), new Normalization(half, std),
            Enumerable.Range(0, k).Select(i => $"class {i}").ToArray());
    }

    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static IReadOnlyList<string> Cifar10Classes { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    /// <summary>The (channels, height, width) of a dataset's images, without reading it.</summary>
    public static (int Channels, int Height, int Width) ImageShape(string name) => Normalize(name) switch
    {
        FashionMnistEmbedded or FashionMnist => (1, 28, 28),
        Cifar10 => (3, 32, 32),
        var n when n.StartsWith(Synthetic + "-", StringComparison.Ordinal) => (LoadShape(n)),
        _ => throw Unknown(name),
    };

    private static (int, int, int) LoadShape(string name)
    {
        var m = System.Text.RegularExpressions.Regex.Match(name, @"^synthetic-(\d{1,4})x(\d{1,5})x(\d{1,5})-\d{1,5}$");
        if (!m.Success) throw Unknown(name);
        int Part(int i) => int.Parse(m.Groups[i].Value, System.Globalization.CultureInfo.InvariantCulture);
        return (Part(1), Part(2), Part(3));
    }

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
            case var n when n == Synthetic || n.StartsWith(Synthetic + "-", StringComparison.Ordinal):
                return LoadSynthetic(n);
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
