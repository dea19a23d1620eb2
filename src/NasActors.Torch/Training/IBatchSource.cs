using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// Training batches as a pure function of their position in an endless, epoch-wise shuffled stream: a resumed
/// training asks for the same positions and gets the same images.
/// </summary>
public interface IBatchSource
{
    int BatchSize { get; }

    /// <summary>Batches per epoch (drop-last).</summary>
    long BatchesPerEpoch { get; }

    /// <summary>The batch at a position, on the device, created in the caller's dispose scope.</summary>
    (Tensor Images, Tensor Labels) Batch(long position, Device device);
}
