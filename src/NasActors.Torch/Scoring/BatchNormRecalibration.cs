using NasActors.Core.Spaces;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using TorchSharp;
using NasActors.Torch.Supernet.Blocks;
using static TorchSharp.torch;

namespace NasActors.Torch.Scoring;

/// <summary>
/// Recomputes the BatchNorm statistics of one path of a supernet: the running statistics collected during supernet
/// training mix many paths and do not fit any one of them. Resets the statistics of every BatchNorm on the path and
/// forwards a fixed set of training batches in train mode without gradients, with a cumulative average (momentum
/// unset) so every batch counts equally. Weights are not touched.
/// </summary>
public static class BatchNormRecalibration
{
    public static void Run(BlockNetwork network, Architecture path, BatchLoader data, int batches, Device device)
    {
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "Recalibration needs at least one batch.");
        var norms = network.PathModules(path).SelectMany(m => m.modules()).OfType<PathBatchNorm>().ToList();
        using var noGrad = torch.no_grad();
        foreach (var n in norms) n.BeginRecalibration();
        var wasTraining = network.training;
        network.train();
        try
        {
            for (var b = 0; b < batches; b++)
            {
                using var scope = torch.NewDisposeScope();
                using var batch = data.GetBatch(b, device);
                network.Forward(batch.Images, path);
            }
        }
        finally
        {
            foreach (var n in norms) n.EndRecalibration();
            network.train(wasTraining);
        }
    }
}
