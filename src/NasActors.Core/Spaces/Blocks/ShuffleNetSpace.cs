using System.Text;

namespace NasActors.Core.Spaces.Blocks;

/// <summary>The choices of a ShuffleNetV2 layer in the SPOS space.</summary>
public enum ShuffleChoice
{
    /// <summary>pw 1x1 -> dw 3x3 -> pw 1x1.</summary>
    Shuffle3 = 0,
    Shuffle5 = 1,
    Shuffle7 = 2,
    /// <summary>(dw 3x3 -> pw 1x1) x 3.</summary>
    Xception = 3,
}

/// <summary>One choice layer of a ShuffleNetV2 space, with the shapes every choice shares.</summary>
/// <param name="InChannels">Channels the block's branches see: the whole input for stride 2, half of it for stride 1.</param>
/// <param name="OutChannels">Channels of the block output (concatenation of both branches).</param>
/// <param name="MidChannels">Channels inside the main branch (out / 2).</param>
/// <param name="Stride">2 for the first block of a stage, else 1.</param>
/// <param name="InputSize">Side length of the block input.</param>
public sealed record ShuffleLayer(int InChannels, int OutChannels, int MidChannels, int Stride, int InputSize)
{
    /// <summary>Channels the main branch produces: the rest comes from the projection branch or the kept half.</summary>
    public int MainOutChannels => OutChannels - InChannels;

    public static int Kernel(ShuffleChoice c) => c switch
    {
        ShuffleChoice.Shuffle3 => 3,
        ShuffleChoice.Shuffle5 => 5,
        ShuffleChoice.Shuffle7 => 7,
        _ => 3,
    };
}

/// <summary>
/// The SPOS ShuffleNetV2 space (Guo et al., 2020): stem 3x3 stride 2; stages whose first block has stride 2 and takes
/// the whole input and whose later blocks split channels in half (channel shuffle) and process one half;
/// 4 choices per layer (Shuffle k3/k5/k7, Xception); 1x1 conv to the last width, global pool, linear classifier.
/// </summary>
public sealed class ShuffleNetSpace : BlockSpace
{
    public ShuffleNetSpace(string name, ImageShape input, int classes, int stemChannels, int stemStride,
        IReadOnlyList<int> stageRepeats, IReadOnlyList<int> stageOutChannels, int lastChannels, double dropout)
        : base(name, input, classes, Enumerable.Repeat(4, stageRepeats.Sum()).ToArray())
    {
        if (stageRepeats.Count != stageOutChannels.Count) throw new ArgumentException("One output width per stage is needed.");
        StemChannels = stemChannels;
        StemStride = stemStride;
        StageRepeats = stageRepeats.ToArray();
        StageOutChannels = stageOutChannels.ToArray();
        LastChannels = lastChannels;
        Dropout = dropout;

        var layers = new List<ShuffleLayer>();
        var channels = stemChannels;
        var size = LayerCost.OutputSize(input.Height, 3, stemStride);
        for (var s = 0; s < stageRepeats.Count; s++)
        {
            var outChannels = stageOutChannels[s];
            if (outChannels % 4 != 0) throw new ArgumentException($"Stage {s} width {outChannels} must be divisible by 4 (channel shuffle).");
            for (var r = 0; r < stageRepeats[s]; r++)
            {
                var layer = r == 0
                    ? new ShuffleLayer(channels, outChannels, outChannels / 2, 2, size)
                    : new ShuffleLayer(channels / 2, outChannels, outChannels / 2, 1, size);
                layers.Add(layer);
                size = LayerCost.OutputSize(size, 3, layer.Stride);
                channels = outChannels;
            }
        }
        Layers = layers;
        FinalSize = size;
    }

    public int StemChannels { get; }
    public int StemStride { get; }
    public IReadOnlyList<int> StageRepeats { get; }
    public IReadOnlyList<int> StageOutChannels { get; }
    public int LastChannels { get; }
    public double Dropout { get; }
    public IReadOnlyList<ShuffleLayer> Layers { get; }
    /// <summary>Side length of the feature map entering the head.</summary>
    public int FinalSize { get; }

    public override string ChoiceName(int layer, int choice) => (ShuffleChoice)choice switch
    {
        ShuffleChoice.Xception => "xception",
        var c => $"shuffle-k{ShuffleLayer.Kernel(c)}",
    };

    public override LayerCost FixedCost()
    {
        var stem = LayerCost.ConvBn(Input.Channels, StemChannels, 3, StemStride, Input.Height);
        var last = LayerCost.ConvBn(StageOutChannels[^1], LastChannels, 1, 1, FinalSize);
        // SPOS's classifier has no bias.
        return stem + last + LayerCost.Linear(LastChannels, Classes, bias: false);
    }

    public override LayerCost ChoiceCost(int layer, int choice)
    {
        var l = Layers[layer];
        var c = (ShuffleChoice)choice;
        var k = ShuffleLayer.Kernel(c);
        var size = l.InputSize;
        var outSize = LayerCost.OutputSize(size, 3, l.Stride);
        LayerCost main;
        if (c == ShuffleChoice.Xception)
        {
            main = LayerCost.ConvBn(l.InChannels, l.InChannels, 3, l.Stride, size, groups: l.InChannels)
                 + LayerCost.ConvBn(l.InChannels, l.MidChannels, 1, 1, outSize)
                 + LayerCost.ConvBn(l.MidChannels, l.MidChannels, 3, 1, outSize, groups: l.MidChannels)
                 + LayerCost.ConvBn(l.MidChannels, l.MidChannels, 1, 1, outSize)
                 + LayerCost.ConvBn(l.MidChannels, l.MidChannels, 3, 1, outSize, groups: l.MidChannels)
                 + LayerCost.ConvBn(l.MidChannels, l.MainOutChannels, 1, 1, outSize);
        }
        else
        {
            main = LayerCost.ConvBn(l.InChannels, l.MidChannels, 1, 1, size)
                 + LayerCost.ConvBn(l.MidChannels, l.MidChannels, k, l.Stride, size, groups: l.MidChannels)
                 + LayerCost.ConvBn(l.MidChannels, l.MainOutChannels, 1, 1, outSize);
        }
        if (l.Stride == 1) return main;
        var projectionKernel = c == ShuffleChoice.Xception ? 3 : k;
        var projection = LayerCost.ConvBn(l.InChannels, l.InChannels, projectionKernel, 2, size, groups: l.InChannels)
                       + LayerCost.ConvBn(l.InChannels, l.InChannels, 1, 1, outSize);
        return main + projection;
    }

    public override string Definition() => FormattableString.Invariant(
        $"shufflenet {Name} input {Input} classes {Classes} stem {StemChannels}/s{StemStride} ") +
        string.Join(" ", Layers.Select(l => FormattableString.Invariant($"[{l.InChannels}>{l.OutChannels}/{l.MidChannels}/s{l.Stride}@{l.InputSize}]"))) +
        FormattableString.Invariant($" choices {string.Join(",", Enum.GetNames<ShuffleChoice>())} last {LastChannels} dropout {Dropout}");

    public override string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Name}: input {Input}, {Classes} classes, {ChoiceCounts.Count} layers x 4 choices");
        sb.AppendLine($"  stem conv3x3 s{StemStride} -> {StemChannels}");
        for (var i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            sb.AppendLine($"  layer {i,2}: {l.InChannels,4} -> {l.OutChannels,4} (mid {l.MidChannels}) s{l.Stride} @ {l.InputSize}x{l.InputSize}");
        }
        sb.AppendLine($"  conv1x1 -> {LastChannels} @ {FinalSize}x{FinalSize}, global pool, linear -> {Classes}");
        return sb.ToString();
    }
}
