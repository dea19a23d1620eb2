using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.SinglePathNas;

/// <summary>A layer's three decisions as 0/1 values (tensors, so that gradients can reach them): kernel 5's ring on,
/// kernel 7's ring on (within 5), expansion 6's second half of the channels on.</summary>
public sealed record Indicators(Tensor Kernel5, Tensor Kernel7, Tensor Expansion6)
{
    /// <summary>The choice the values select (read as 0/1).</summary>
    public MbChoice Choice()
    {
        bool On(Tensor t) => t.item<float>() > 0.5f;
        return new MbChoice(On(Expansion6) ? 6 : 3, On(Kernel5) ? (On(Kernel7) ? 7 : 5) : 3);
    }

    /// <summary>The indicator values of a choice, as constants.</summary>
    public static Indicators Of(MbChoice choice, Device device) => new(
        torch.tensor(choice.Kernel >= 5 ? 1f : 0f, device: device), torch.tensor(choice.Kernel == 7 ? 1f : 0f, device: device),
        torch.tensor(choice.Expansion == 6 ? 1f : 0f, device: device));
}

/// <summary>
/// Single-Path NAS's superkernel: the widest, largest-kernel MBConv block of a layer (expansion 6, kernel 7) holds
/// every choice of the layer. Kernel 5 is the centre 5x5 of the depthwise kernel and kernel 3 its centre 3x3;
/// expansion 3 is the first half of the expanded channels. The decisions are indicators 1(mean(w_part^2) > t) with a
/// straight-through gradient (the forward value is exactly 0 or 1, the gradient that of mean(w_part^2) - t):
/// the kernel-5 ring's part is the ring's weights, the kernel-7 ring's the outer ring's, expansion 6's the second half
/// channels' depthwise weights under the chosen kernel. The mean square, not the sum, so one threshold scale fits
/// rings and layers of every size (the paper compares the squared norm).
/// </summary>
public static class Superkernel
{
    /// <summary>Largest kernel and expansion: the superkernel's choice.</summary>
    public static readonly MbChoice Choice = new(6, 7);

    public static int ChoiceIndex => MbConvSpace.ChoiceIndex(Choice.Expansion, Choice.Kernel);

    /// <summary>Masks over a 7x7 kernel: its centre 3x3, the ring of 5x5 outside the 3x3, the ring of 7x7 outside the 5x5.</summary>
    public static (Tensor Centre3, Tensor Ring5, Tensor Ring7) Masks(Device device, ScalarType dtype)
    {
        var centre3 = new float[49];
        var ring5 = new float[49];
        var ring7 = new float[49];
        for (var i = 0; i < 7; i++)
            for (var j = 0; j < 7; j++)
            {
                var d = Math.Max(Math.Abs(i - 3), Math.Abs(j - 3));
                (d <= 1 ? centre3 : d == 2 ? ring5 : ring7)[i * 7 + j] = 1;
            }
        Tensor Make(float[] v) => torch.tensor(v, device: device).view(1, 1, 7, 7).to(dtype);
        return (Make(centre3), Make(ring5), Make(ring7));
    }

    /// <summary>1(mean(part^2) > threshold), forward exactly 0/1, gradient d(mean(part^2) - threshold).</summary>
    public static Tensor Indicator(Tensor part, Tensor threshold)
    {
        var x = part.square().mean().sub(threshold);
        var hard = x.gt(0).to(x.dtype);
        return hard.add(x.sub(x.detach()));
    }

    /// <summary>A layer's indicators from its superkernel's weights and thresholds [t5, t7, te].</summary>
    public static Indicators Decide(MbConvBlock superkernel, Tensor thresholds)
    {
        var w = superkernel.ConvWeight("dw");
        var (centre3, ring5, ring7) = Masks(w.device, w.dtype);
        var g5 = Indicator(w.masked_select(ring5.expand_as(w).gt(0)), thresholds[0]);
        var g7 = Indicator(w.masked_select(ring7.expand_as(w).gt(0)), thresholds[1]);
        var kernel = KernelWeight(w, g5, g7);
        var half = w.shape[0] / 2;
        var ge = Indicator(kernel.narrow(0, half, half), thresholds[2]);
        return new Indicators(g5, g7, ge);
    }

    /// <summary>The depthwise kernel under the kernel indicators: w3 + g5 * (w5\3 + g7 * w7\5).</summary>
    public static Tensor KernelWeight(Tensor w, Tensor g5, Tensor g7)
    {
        var (centre3, ring5, ring7) = Masks(w.device, w.dtype);
        return w.mul(centre3).add(w.mul(ring5).add(w.mul(ring7).mul(g7)).mul(g5));
    }

    /// <summary>The superkernel block's forward under indicator values: the second half of the expanded channels is
    /// multiplied by the expansion indicator (after the expand and after the depthwise part), the depthwise kernel is
    /// <see cref="KernelWeight"/>.</summary>
    public static Tensor Forward(MbConvBlock superkernel, MbLayer layer, Tensor x, Indicators g)
    {
        var expanded = superkernel.Part("expand").call(x);
        var half = expanded.shape[1] / 2;
        var channels = torch.cat([torch.ones(half, dtype: expanded.dtype, device: expanded.device), g.Expansion6.expand(half)]).view(1, -1, 1, 1);
        var masked = expanded.mul(channels);
        var dw = superkernel.Part("dw");
        var h = nn.functional.conv2d(masked, KernelWeight(superkernel.ConvWeight("dw"), g.Kernel5, g.Kernel7),
            strides: [layer.Stride], padding: [Choice.Kernel / 2], groups: masked.shape[1]);
        foreach (var (name, module) in dw.named_children())
            if (name != "conv") h = ((nn.Module<Tensor, Tensor>)module).call(h);
        // Again after the depthwise part: with running statistics (eval mode) its BatchNorm maps zero channels to non-zero values.
        var y = superkernel.Part("project").call(h.mul(channels));
        return layer.Residual ? y.add(x) : y;
    }

    /// <summary>
    /// Writes the slice of a superkernel that is choice <paramref name="choice"/> into a block of that choice: the first
    /// e*C expanded channels (expand rows, depthwise channels, project columns, BatchNorm statistics) and the centre
    /// k x k of the depthwise kernel.
    /// </summary>
    public static void Slice(MbConvBlock superkernel, MbConvBlock target, MbLayer layer, MbChoice choice)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var mid = (long)layer.InChannels * choice.Expansion;
        var offset = (Choice.Kernel - choice.Kernel) / 2;
        target.ConvWeight("expand").copy_(superkernel.ConvWeight("expand").narrow(0, 0, mid));
        target.ConvWeight("dw").copy_(superkernel.ConvWeight("dw").narrow(0, 0, mid).narrow(2, offset, choice.Kernel).narrow(3, offset, choice.Kernel));
        target.ConvWeight("project").copy_(superkernel.ConvWeight("project").narrow(1, 0, mid));
        foreach (var (part, channels) in new[] { ("expand", mid), ("dw", mid), ("project", (long)layer.OutChannels) })
        {
            var from = Norm(superkernel, part);
            var to = Norm(target, part);
            to.RunningMean.copy_(from.RunningMean.narrow(0, 0, channels));
            to.RunningVar.copy_(from.RunningVar.narrow(0, 0, channels));
        }
    }

    private static PathBatchNorm Norm(MbConvBlock block, string part) =>
        block.Part(part).named_children().Select(c => c.module).OfType<PathBatchNorm>().Single();
}
