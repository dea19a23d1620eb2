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
    public static BatchNorm2d Norm(long channels, bool affine) => nn.BatchNorm2d(channels, affine: affine);

    /// <summary>conv -> BN (-> ReLU) as a named sequence: names make checkpoints readable.</summary>
    public static Sequential ConvBn(long inChannels, long outChannels, long kernel, bool affine, bool relu,
        long stride = 1, long groups = 1)
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv", Conv(inChannels, outChannels, kernel, stride, groups)),
            ("bn", Norm(outChannels, affine)),
        };
        if (relu) modules.Add(("relu", nn.ReLU()));
        return nn.Sequential(modules);
    }
}
