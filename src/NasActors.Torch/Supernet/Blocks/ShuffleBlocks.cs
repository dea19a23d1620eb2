using NasActors.Core.Spaces.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Blocks;

/// <summary>
/// A ShuffleNetV2 block of the SPOS space. Stride 1: the input's channels are split in half by a channel shuffle,
/// one half is kept, the other goes through the main branch. Stride 2: the whole input goes through both the
/// projection branch and the main branch. The outputs are concatenated.
/// </summary>
public sealed class ShuffleNetBlock : nn.Module<Tensor, Tensor>
{
    private readonly long _stride;
    private readonly Sequential main;
    private readonly Sequential? projection;

    public ShuffleNetBlock(ShuffleLayer layer, ShuffleChoice choice, bool affine) : base($"{choice}")
    {
        _stride = layer.Stride;
        var i = layer.InChannels;
        var m = layer.MidChannels;
        var o = layer.MainOutChannels;
        if (choice == ShuffleChoice.Xception)
        {
            main = nn.Sequential(
                ("dw1", Layers.ConvBn(i, i, 3, affine, relu: false, stride: layer.Stride, groups: i)),
                ("pw1", Layers.ConvBn(i, m, 1, affine, relu: true)),
                ("dw2", Layers.ConvBn(m, m, 3, affine, relu: false, groups: m)),
                ("pw2", Layers.ConvBn(m, m, 1, affine, relu: true)),
                ("dw3", Layers.ConvBn(m, m, 3, affine, relu: false, groups: m)),
                ("pw3", Layers.ConvBn(m, o, 1, affine, relu: true)));
        }
        else
        {
            var k = ShuffleLayer.Kernel(choice);
            main = nn.Sequential(
                ("pw1", Layers.ConvBn(i, m, 1, affine, relu: true)),
                ("dw", Layers.ConvBn(m, m, k, affine, relu: false, stride: layer.Stride, groups: m)),
                ("pw2", Layers.ConvBn(m, o, 1, affine, relu: true)));
        }
        if (layer.Stride == 2)
        {
            var k = choice == ShuffleChoice.Xception ? 3 : ShuffleLayer.Kernel(choice);
            projection = nn.Sequential(
                ("dw", Layers.ConvBn(i, i, k, affine, relu: false, stride: 2, groups: i)),
                ("pw", Layers.ConvBn(i, i, 1, affine, relu: true)));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (_stride == 2) return cat([projection!.forward(x), main.forward(x)], 1);
        var (kept, processed) = SplitShuffled(x);
        return cat([kept, main.forward(processed)], 1);
    }

    /// <summary>
    /// SPOS's channel shuffle: even channels form the kept half, odd channels the processed half. Strided views, not
    /// SPOS's reshape-permute-reshape (the same values): they keep a channels-last input channels-last.
    /// </summary>
    public static (Tensor Kept, Tensor Processed) SplitShuffled(Tensor x)
    {
        var c = x.shape[1];
        return (x.slice(1, 0, c, 2), x.slice(1, 1, c, 2));
    }
}
