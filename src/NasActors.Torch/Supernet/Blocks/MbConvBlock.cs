using NasActors.Core.Spaces.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Blocks;

/// <summary>
/// An inverted-residual block (MobileNetV2): pw 1x1 expand -> dw kxk -> pw 1x1 project, with a residual connection
/// where the stride is 1 and the widths are equal.
/// </summary>
public sealed class MbConvBlock : nn.Module<Tensor, Tensor>
{
    private readonly bool _residual;
    private readonly Sequential body;

    public MbConvBlock(MbLayer layer, MbChoice choice, bool affine) : base($"{choice}")
    {
        _residual = layer.Residual;
        var mid = layer.InChannels * choice.Expansion;
        body = nn.Sequential(
            ("expand", Layers.ConvBn(layer.InChannels, mid, 1, affine, relu: true)),
            ("dw", Layers.ConvBn(mid, mid, choice.Kernel, affine, relu: true, stride: layer.Stride, groups: mid)),
            ("project", Layers.ConvBn(mid, layer.OutChannels, 1, affine, relu: false)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = body.forward(x);
        return _residual ? y.add(x, Layers.One) : y;
    }
}
