using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Blocks;

/// <summary>
/// Lays a CPU feature map out channels-last (NHWC strides, same NCHW shape and values). LibTorch picks oneDNN's
/// channels-last convolutions for such inputs, and every later op keeps the layout, so the whole path runs
/// channels-last; on CUDA it passes the tensor through unchanged.
/// </summary>
internal sealed class ChannelsLast() : TorchSharp.torch.nn.Module<Tensor, Tensor>("channels_last")
{
    /// <summary>Off: the tensor passes unchanged on every device (NCHW-contiguous all the way).</summary>
    public bool Enabled { get; set; } = true;

    public override Tensor forward(Tensor x) =>
        Enabled && x.device_type == DeviceType.CPU && x.dim() == 4
            ? x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
            : x.alias();
}
