using NasActors.Core.Spaces;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using TorchSharp;
using TorchSharp.Modules;
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
        var norms = network.PathModules(path).SelectMany(m => m.modules()).OfType<BatchNorm2d>().ToList();
        var saved = norms.Select(n => n.momentum).ToList();
        using var noGrad = torch.no_grad();
        foreach (var n in norms)
        {
            n.running_mean!.zero_();
            n.running_var!.fill_(1);
            n.num_batches_tracked!.zero_();
            n.momentum = null;
        }
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
            for (var i = 0; i < norms.Count; i++) norms[i].momentum = saved[i];
            network.train(wasTraining);
        }
    }
}
