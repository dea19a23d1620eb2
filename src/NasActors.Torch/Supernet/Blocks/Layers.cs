using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Blocks;

/// <summary>Building blocks shared by the block families: bias-free convolutions followed by BatchNorm.</summary>
internal static class Layers
{
    public static Conv2d Conv(long inChannels, long outChannels, long kernel, long stride = 1, long groups = 1) =>
        nn.Conv2d(inChannels, outChannels, kernel, stride: stride, padding: kernel / 2, groups: groups, bias: false);

    /// <summary>BatchNorm; the supernet uses it without affine parameters (SPOS, FairNAS), stand-alone networks with.</summary>
    public static PathBatchNorm Norm(long channels, bool affine) => new(channels, affine);

    /// <summary>1.0, created once and kept alive (see <see cref="PathBatchNorm"/> on short-lived Scalars).</summary>
    public static readonly Scalar One = 1.0.ToScalar();

    /// <summary>conv -> BN (-> ReLU) as a named sequence: names make checkpoints readable.</summary>
    /// <param name="channelsLastAfterConv">
    /// Lay the convolution's output out channels-last on a CPU (a parameterless "layout" child between conv and bn), so
    /// the BatchNorm and ReLU already run, and take their gradients, in the layout of everything after them: where
    /// the switch came after the ReLU, their backward passes met channels-last gradients on NCHW tensors, and
    /// LibTorch's ReLU backward runs about 10x slower on mixed layouts.
    /// </param>
    public static Sequential ConvBn(long inChannels, long outChannels, long kernel, bool affine, bool relu,
        long stride = 1, long groups = 1, bool channelsLastAfterConv = false)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)> { ("conv", Conv(inChannels, outChannels, kernel, stride, groups)) };
        if (channelsLastAfterConv) modules.Add(("layout", new ChannelsLast()));
        modules.Add(("bn", Norm(outChannels, affine)));
        // In place, as in the PyTorch reference: the BatchNorm output is not needed by its backward pass.
        if (relu) modules.Add(("relu", nn.ReLU(inplace: true)));
        return nn.Sequential(modules);
    }
}
