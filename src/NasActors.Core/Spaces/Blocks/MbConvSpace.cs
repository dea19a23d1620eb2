using System.Text;

namespace NasActors.Core.Spaces.Blocks;

/// <summary>One choice of an inverted-residual layer: expansion ratio and depthwise kernel.</summary>
public readonly record struct MbChoice(int Expansion, int Kernel)
{
    public override string ToString() => $"mb-e{Expansion}-k{Kernel}";
}

/// <summary>One inverted-residual choice layer with the shapes every choice shares.</summary>
public sealed record MbLayer(int InChannels, int OutChannels, int Stride, int InputSize)
{
    public bool Residual => Stride == 1 && InChannels == OutChannels;
}

/// <summary>
/// The FairNAS MobileNetV2-style space (Chu et al., 2021): stem 3x3 stride 2, a separable conv (dw3x3 + pw),
/// inverted-residual layers each choosing expansion {3, 6} x kernel {3, 5, 7}, residual where stride 1 and widths
/// equal, 1x1 conv to the last width, global pool, dropout, linear classifier.
/// </summary>
public sealed class MbConvSpace : BlockSpace
{
    /// <summary>The 6 choices, in index order: (3,3) (3,5) (3,7) (6,3) (6,5) (6,7).</summary>
    public static readonly IReadOnlyList<MbChoice> Choices =
        [new(3, 3), new(3, 5), new(3, 7), new(6, 3), new(6, 5), new(6, 7)];

    public MbConvSpace(string name, ImageShape input, int classes, int stemChannels, int stemStride, int separableChannels,
        IReadOnlyList<(int OutChannels, int Stride)> layers, int lastChannels, double dropout, int separableStride = 1)
        : base(name, input, classes, Enumerable.Repeat(Choices.Count, layers.Count).ToArray())
    {
        StemChannels = stemChannels;
        StemStride = stemStride;
        SeparableStride = separableStride;
        SeparableChannels = separableChannels;
        LastChannels = lastChannels;
        Dropout = dropout;
        var list = new List<MbLayer>();
        var channels = separableChannels;
        var size = LayerCost.OutputSize(LayerCost.OutputSize(input.Height, 3, stemStride), 3, separableStride);
        foreach (var (outChannels, stride) in layers)
        {
            list.Add(new MbLayer(channels, outChannels, stride, size));
            size = LayerCost.OutputSize(size, 3, stride);
            channels = outChannels;
        }
        Layers = list;
        FinalSize = size;
    }

    public int StemChannels { get; }
    public int StemStride { get; }
    /// <summary>Stride of the separable conv's depthwise 3x3 (1 in FairNAS; 2 lets a small space keep full resolution in the stem).</summary>
    public int SeparableStride { get; }
    public int SeparableChannels { get; }
    public int LastChannels { get; }
    public double Dropout { get; }
    public IReadOnlyList<MbLayer> Layers { get; }
    public int FinalSize { get; }

    /// <summary>Index of the choice with this expansion and kernel.</summary>
    public static int ChoiceIndex(int expansion, int kernel)
    {
        for (var i = 0; i < Choices.Count; i++)
            if (Choices[i].Expansion == expansion && Choices[i].Kernel == kernel) return i;
        throw new ArgumentException($"No choice with expansion {expansion} and kernel {kernel}.");
    }

    public override string ChoiceName(int layer, int choice) => Choices[choice].ToString();

    public override LayerCost FixedCost()
    {
        var stemSize = LayerCost.OutputSize(Input.Height, 3, StemStride);
        var stem = LayerCost.ConvBn(Input.Channels, StemChannels, 3, StemStride, Input.Height);
        var separableSize = LayerCost.OutputSize(stemSize, 3, SeparableStride);
        var separable = LayerCost.ConvBn(StemChannels, StemChannels, 3, SeparableStride, stemSize, groups: StemChannels)
                      + LayerCost.ConvBn(StemChannels, SeparableChannels, 1, 1, separableSize);
        var last = LayerCost.ConvBn(Layers[^1].OutChannels, LastChannels, 1, 1, FinalSize);
        return stem + separable + last + LayerCost.Linear(LastChannels, Classes, bias: true);
    }

    public override LayerCost ChoiceCost(int layer, int choice)
    {
        var l = Layers[layer];
        var c = Choices[choice];
        var mid = l.InChannels * c.Expansion;
        var outSize = LayerCost.OutputSize(l.InputSize, c.Kernel, l.Stride);
        return LayerCost.ConvBn(l.InChannels, mid, 1, 1, l.InputSize)
             + LayerCost.ConvBn(mid, mid, c.Kernel, l.Stride, l.InputSize, groups: mid)
             + LayerCost.ConvBn(mid, l.OutChannels, 1, 1, outSize);
    }

    public override string Definition() => FormattableString.Invariant(
        $"mbconv {Name} input {Input} classes {Classes} stem {StemChannels}/s{StemStride} separable {SeparableChannels}/s{SeparableStride} ") +
        string.Join(" ", Layers.Select(l => FormattableString.Invariant($"[{l.InChannels}>{l.OutChannels}/s{l.Stride}@{l.InputSize}]"))) +
        FormattableString.Invariant($" choices {string.Join(",", Choices)} last {LastChannels} dropout {Dropout}");

    public override string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Name}: input {Input}, {Classes} classes, {ChoiceCounts.Count} layers x {Choices.Count} choices");
        sb.AppendLine($"  stem conv3x3 s{StemStride} -> {StemChannels}, separable dw3x3 s{SeparableStride} + pw -> {SeparableChannels}");
        for (var i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            sb.AppendLine($"  layer {i,2}: {l.InChannels,4} -> {l.OutChannels,4} s{l.Stride} @ {l.InputSize}x{l.InputSize}{(l.Residual ? " residual" : "")}");
        }
        sb.AppendLine($"  conv1x1 -> {LastChannels} @ {FinalSize}x{FinalSize}, global pool, dropout {Dropout}, linear -> {Classes}");
        return sb.ToString();
    }
}
