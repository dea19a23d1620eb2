namespace NasActors.Core.Spaces.Blocks;

/// <summary>The named block spaces a supernet can be built for.</summary>
public static class BlockSpaces
{
    public const string SposShuffleNet = "spos-shufflenet";
    public const string FairNasMbConv = "fairnas-mbconv";
    public const string FmnistShuffleNet = "fmnist-shufflenet";
    public const string FmnistMbConv = "fmnist-mbconv";
    public const string FmnistMbConvWide = "fmnist-mbconv-wide";
    public const string FmnistCell = "fmnist-cell";

    /// <summary>The SPOS ImageNet space, exactly as published: 20 layers x 4 choices at 224x224x3.</summary>
    public static ShuffleNetSpace SposImageNet(int classes = 1000) => new(
        SposShuffleNet, new ImageShape(3, 224, 224), classes,
        stemChannels: 16, stemStride: 2,
        stageRepeats: [4, 4, 8, 4], stageOutChannels: [64, 160, 320, 640],
        lastChannels: 1024, dropout: 0.1);

    /// <summary>The FairNAS ImageNet space, exactly as published: 19 layers x 6 choices at 224x224x3.</summary>
    public static MbConvSpace FairNasImageNet(int classes = 1000) => new(
        FairNasMbConv, new ImageShape(3, 224, 224), classes,
        stemChannels: 32, stemStride: 2, separableChannels: 16,
        layers:
        [
            (32, 2), (32, 1), (40, 2), (40, 1), (40, 1), (40, 1), (80, 2), (80, 1), (80, 1), (80, 1),
            (96, 1), (96, 1), (96, 1), (96, 1), (192, 2), (192, 1), (192, 1), (192, 1), (320, 1),
        ],
        lastChannels: 1280, dropout: 0.2);

    /// <summary>
    /// A CPU-sized ShuffleNetV2 space for 28x28x1 images (Fashion-MNIST): the same blocks, few narrow layers,
    /// feature maps 14 -> 7 -> 4, so a supernet trains to a useful accuracy in minutes on two cores.
    /// </summary>
    public static ShuffleNetSpace FmnistShuffle(int classes = 10) => new(
        FmnistShuffleNet, new ImageShape(1, 28, 28), classes,
        stemChannels: 16, stemStride: 1,
        stageRepeats: [2, 2, 2], stageOutChannels: [32, 64, 128],
        lastChannels: 256, dropout: 0.1);

    /// <summary>
    /// A CPU-sized inverted-residual space for 28x28x1 images, feature maps 14 -> 7 -> 4. The stem convolution keeps
    /// the full 28x28 resolution and the separable conv's depthwise 3x3 downsamples (a stride-2 stem conv sees every
    /// other pixel): a better supernet at about the same images/s (docs/quickstart-recipe.md, "The spaces").
    /// </summary>
    public static MbConvSpace FmnistMb(int classes = 10) => new(
        FmnistMbConv, new ImageShape(1, 28, 28), classes,
        stemChannels: 16, stemStride: 1, separableChannels: 16,
        layers: [(16, 1), (24, 2), (24, 1), (32, 1), (48, 2), (48, 1)],
        lastChannels: 256, dropout: 0.1, separableStride: 2);

    /// <summary>
    /// <see cref="FmnistMb"/> 1.5x wider (widths 24-64): a better supernet at the same images for more time per image
    /// (docs/quickstart-recipe.md, "The spaces"). The CPU ranking study's space.
    /// </summary>
    public static MbConvSpace FmnistMbWide(int classes = 10) => new(
        FmnistMbConvWide, new ImageShape(1, 28, 28), classes,
        stemChannels: 16, stemStride: 2, separableChannels: 24,
        layers: [(24, 1), (32, 2), (32, 1), (48, 1), (64, 2), (64, 1)],
        lastChannels: 256, dropout: 0.1);

    /// <summary>
    /// The NAS-Bench-201 cell (<see cref="CellSpace"/>, the tabular <c>nb201</c> space's encoding) sized for 28x28x1 on
    /// a CPU: stem stride 2, stages of CELLS cells at 16/32/64 channels on 14x14, 7x7 and 4x4 feature maps.
    /// </summary>
    public static CellSpace FmnistCells(int classes = 10) => new(
        FmnistCell, new ImageShape(1, 28, 28), classes, stemStride: 2, stageChannels: [16, 32, 64], cellsPerStage: 2);

    public static IReadOnlyList<string> Names { get; } = [FmnistMbConv, FmnistMbConvWide, FmnistShuffleNet, FmnistCell, FairNasMbConv, SposShuffleNet];

    /// <summary>The space with this name; a clear error lists the known names.</summary>
    public static BlockSpace Get(string name, int? classes = null) => name.Trim().ToLowerInvariant() switch
    {
        SposShuffleNet => SposImageNet(classes ?? 1000),
        FairNasMbConv => FairNasImageNet(classes ?? 1000),
        FmnistShuffleNet => FmnistShuffle(classes ?? 10),
        FmnistMbConv => FmnistMb(classes ?? 10),
        FmnistMbConvWide => FmnistMbWide(classes ?? 10),
        FmnistCell => FmnistCells(classes ?? 10),
        _ => throw new UnknownSpaceException(name, Names),
    };
}

public sealed class UnknownSpaceException(string name, IEnumerable<string> known)
    : ArgumentException($"Unknown search space '{name}'. Known spaces: {string.Join(", ", known)}.");
