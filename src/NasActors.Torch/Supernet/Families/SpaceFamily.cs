using System.Text.Json.Nodes;
using NasActors.Core.Spaces.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Families;

/// <summary>
/// One place where choice units a decision applies to live in a network: a layer of a block space (one unit per
/// decision), or one edge of one cell of a cell space (as many units per decision as cells).
/// </summary>
/// <param name="Index">Position among the network's units (the <c>N</c> of parameter names <c>layers.N.CHOICE...</c>).</param>
/// <param name="Decision">The decision of the architecture whose choice this unit runs.</param>
public readonly record struct ChoiceUnit(int Index, int Decision);

/// <summary>The body between stem and head: runs every unit once, through <c>unit(index, input)</c>, and returns the last feature map.</summary>
/// <remarks>It disposes the feature maps it no longer needs, the stem's output included.</remarks>
public delegate Tensor BodyWiring(Tensor stemOutput, Func<int, Tensor, Tensor> unit);

/// <summary>What a family builds for a network, in construction order (stem, units, fixed body modules, head): the
/// order of the weight initialisation's draws.</summary>
public sealed class NetworkParts
{
    public required Sequential Stem { get; init; }

    /// <summary>Every choice unit's held choices' modules, in unit order.</summary>
    public required IReadOnlyList<ModuleList<nn.Module<Tensor, Tensor>>> Units { get; init; }

    /// <summary>The decision of each unit.</summary>
    public required IReadOnlyList<int> UnitDecisions { get; init; }

    /// <summary>Modules of the body outside the choice units, shared by every path (a cell network's reduction blocks).</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> Fixed { get; init; } = [];

    public required BodyWiring Body { get; init; }

    /// <summary>Last feature map to a feature vector (ends with global pooling and flatten).</summary>
    public required Sequential Head { get; init; }

    /// <summary>Width of the head's output, the classifier's input.</summary>
    public required long Features { get; init; }

    public required double Dropout { get; init; }
    public required bool ClassifierBias { get; init; }
}

/// <summary>
/// A family of spaces (MBConv, ShuffleNet, NAS-Bench-201 cells): how its networks are built, and how its shapes are
/// described to the PyTorch reference of <c>nas benchmark-step</c>. <see cref="BlockNetwork"/> and the benchmark both
/// ask <see cref="SpaceFamilies"/>: a new family is one class and a line of registration here (plus its builder in the
/// reference script, keyed by <see cref="Name"/>).
/// </summary>
public abstract class SpaceFamily
{
    /// <summary>The family's key in the reference's spec (<c>mbconv</c>, <c>shufflenet</c>, <c>cell</c>).</summary>
    public abstract string Name { get; }

    public abstract bool Builds(BlockSpace space);

    /// <summary>The modules of a network of <paramref name="space"/> holding <paramref name="held"/>[d] choices of decision d.</summary>
    public abstract NetworkParts Build(BlockSpace space, int[][] held, bool affine);

    /// <summary>The space's shapes for the PyTorch reference: <c>family</c>, <c>decisions</c>, <c>choices</c>, <c>finalSize</c> and the family's own keys.</summary>
    public JsonObject ReferenceSpec(BlockSpace space)
    {
        var spec = new JsonObject
        {
            ["family"] = Name,
            ["decisions"] = space.ChoiceCounts.Count,
            ["choices"] = space.ChoiceCounts.Max(),
        };
        DescribeShapes(space, spec);
        return spec;
    }

    protected abstract void DescribeShapes(BlockSpace space, JsonObject spec);

    /// <summary>One unit per decision, run one after the other (the block spaces).</summary>
    protected static BodyWiring Sequential(int units) => (h, unit) =>
    {
        for (var i = 0; i < units; i++)
        {
            var next = unit(i, h);
            h.Dispose();
            h = next;
        }
        return h;
    };

    /// <summary>The block spaces' head: conv 1x1 to the last width, BN, ReLU, global pool.</summary>
    protected static Sequential ConvHead(long width, long lastChannels, bool affine) => nn.Sequential(
        ("conv", Blocks.Layers.Conv(width, lastChannels, 1)),
        ("bn", Blocks.Layers.Norm(lastChannels, affine)),
        ("relu", nn.ReLU(inplace: true)),
        ("pool", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()));
}

/// <summary>A family of one space type: the type test and the casts, once.</summary>
public abstract class SpaceFamily<TSpace> : SpaceFamily where TSpace : BlockSpace
{
    public sealed override bool Builds(BlockSpace space) => space is TSpace;

    public sealed override NetworkParts Build(BlockSpace space, int[][] held, bool affine) => BuildParts((TSpace)space, held, affine);

    protected sealed override void DescribeShapes(BlockSpace space, JsonObject spec) => DescribeSpace((TSpace)space, spec);

    /// <inheritdoc cref="SpaceFamily.Build"/>
    protected abstract NetworkParts BuildParts(TSpace space, int[][] held, bool affine);

    /// <inheritdoc cref="SpaceFamily.DescribeShapes"/>
    protected abstract void DescribeSpace(TSpace space, JsonObject spec);
}

/// <summary>The registered families.</summary>
public static class SpaceFamilies
{
    public static IReadOnlyList<SpaceFamily> All { get; } = [new MbConvFamily(), new ShuffleNetFamily(), new CellFamily()];

    /// <summary>The family that builds <paramref name="space"/>; a clear error names a space no family builds.</summary>
    public static SpaceFamily Of(BlockSpace space) =>
        All.FirstOrDefault(f => f.Builds(space))
        ?? throw new NotSupportedException($"No network family builds space '{space.Name}' ({space.GetType().Name}); families: {string.Join(", ", All.Select(f => f.Name))}.");
}
