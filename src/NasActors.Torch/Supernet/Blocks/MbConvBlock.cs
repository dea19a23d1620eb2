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

    /// <summary>The block's parts by name: <c>expand</c>, <c>dw</c>, <c>project</c> (conv -> BN (-> ReLU) each).</summary>
    public Sequential Part(string name) =>
        body.named_children().Where(c => c.name == name).Select(c => c.module).OfType<Sequential>().SingleOrDefault()
        ?? throw new ArgumentException($"An MBConv block has no part '{name}'.");

    /// <summary>The weight of a part's convolution (<c>expand</c>, <c>dw</c>, <c>project</c>).</summary>
    public Parameter ConvWeight(string part) => ((Conv2d)Part(part).named_children().First(c => c.name == "conv").module).weight!;

    /// <summary>
    /// The block's forward with the two pointwise convolutions' weights given from outside (SMASH's generated weights):
    /// the depthwise convolution and the BatchNorms are the block's own.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor expandWeight, Tensor projectWeight)
    {
        var y = WithWeight(Part("expand"), x, expandWeight);
        var z = Part("dw").call(y);
        var p = WithWeight(Part("project"), z, projectWeight);
        return _residual ? p.add(x, Layers.One) : p;
    }

    /// <summary>A conv -> BN (-> ReLU) part with its 1x1 convolution's weight replaced.</summary>
    private static Tensor WithWeight(Sequential part, Tensor x, Tensor weight)
    {
        var h = nn.functional.conv2d(x, weight);
        foreach (var (name, module) in part.named_children())
            if (name != "conv") h = ((nn.Module<Tensor, Tensor>)module).call(h);
        return h;
    }
}
