using NasActors.Core.Spaces.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Blocks;

/// <summary>The operations of a NAS-Bench-201 edge, and its residual reduction block, as NAS-Bench-201 defines them.</summary>
public static class CellOps
{
    /// <summary>The module of one choice of an edge between feature maps of <paramref name="channels"/> channels (stride 1).</summary>
    public static nn.Module<Tensor, Tensor> Edge(int choice, long channels, bool affine) => choice switch
    {
        CellSpace.None => new ZeroOp(),
        CellSpace.Skip => new IdentityOp(),
        CellSpace.Conv1x1 => ReluConvBn(channels, channels, 1, 1, affine),
        CellSpace.Conv3x3 => ReluConvBn(channels, channels, 3, 1, affine),
        CellSpace.AvgPool => nn.AvgPool2d(3, stride: 1, padding: 1, count_include_pad: false),
        _ => throw new ArgumentOutOfRangeException(nameof(choice), choice, "an nb201 edge has choices 0..4"),
    };

    /// <summary>ReLU -> conv -> BN. The ReLU is not in place: a cell's node feeds several edges.</summary>
    public static Sequential ReluConvBn(long inChannels, long outChannels, long kernel, long stride, bool affine) => nn.Sequential(
        ("relu", nn.ReLU()),
        ("conv", Layers.Conv(inChannels, outChannels, kernel, stride)),
        ("bn", Layers.Norm(outChannels, affine)));
}

/// <summary>The edge that is not there: zeros of the input's shape.</summary>
internal sealed class ZeroOp() : nn.Module<Tensor, Tensor>("none")
{
    public override Tensor forward(Tensor x) => zeros_like(x);
}

/// <summary>The skip connection.</summary>
internal sealed class IdentityOp() : nn.Module<Tensor, Tensor>("skip_connect")
{
    public override Tensor forward(Tensor x) => x.alias();
}

/// <summary>
/// NAS-Bench-201's residual reduction block (ResNetBasicblock, stride 2): ReLU-conv3x3 s2-BN, ReLU-conv3x3-BN, plus a
/// shortcut of a 2x2 average pool and a bias-free 1x1 conv. The pool rounds up (ceil mode), so an odd side (7) halves
/// to the convolutions' size (4).
/// </summary>
public sealed class ReductionBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv_a;
    private readonly Sequential conv_b;
    private readonly Sequential shortcut;

    public ReductionBlock(long inChannels, long outChannels, bool affine) : base("reduction")
    {
        conv_a = CellOps.ReluConvBn(inChannels, outChannels, 3, 2, affine);
        conv_b = CellOps.ReluConvBn(outChannels, outChannels, 3, 1, affine);
        shortcut = nn.Sequential(
            ("pool", nn.AvgPool2d(2, stride: 2, ceil_mode: true)),
            ("conv", Layers.Conv(inChannels, outChannels, 1)));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = conv_a.call(x);
        using var b = conv_b.call(a);
        using var s = shortcut.call(x);
        return s.add(b, Layers.One);
    }
}
