using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Blocks;

/// <summary>
/// 2-D BatchNorm with the statistics handling one-shot NAS needs: an exponential moving average while the supernet
/// trains, and a cumulative average (every batch weighs the same) while a path's statistics are recalibrated.
/// The batch count lives in managed code: TorchSharp's own BatchNorm increments an int64 tensor with an implicitly
/// created Scalar on every forward, and TorchSharp Scalars can be finalized while a native call still uses their
/// handle (seen here as "alpha must not be a floating point number" after thousands of steps).
/// </summary>
public sealed class PathBatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter? weight;
    private readonly Parameter? bias;
    private readonly Tensor running_mean;
    private readonly Tensor running_var;
    private readonly double _eps;

    public PathBatchNorm(long features, bool affine, double momentum = 0.1, double eps = 1e-5) : base("BatchNorm2d")
    {
        Features = features;
        Affine = affine;
        Momentum = momentum;
        _eps = eps;
        if (affine)
        {
            weight = nn.Parameter(ones(features));
            bias = nn.Parameter(zeros(features));
        }
        running_mean = zeros(features);
        running_var = ones(features);
        RegisterComponents();
    }

    public long Features { get; }
    public bool Affine { get; }
    public double Momentum { get; }

    /// <summary>True while recalibrating: the running statistics are the plain average of the batches seen.</summary>
    public bool Cumulative { get; private set; }

    /// <summary>Batches folded into the running statistics since the last reset (cumulative mode).</summary>
    public long BatchesTracked { get; private set; }

    public Tensor RunningMean => running_mean;
    public Tensor RunningVar => running_var;

    /// <summary>Resets the running statistics and switches to the cumulative average.</summary>
    public void BeginRecalibration()
    {
        using var noGrad = torch.no_grad();
        running_mean.zero_();
        running_var.copy_(ones_like(running_var));
        BatchesTracked = 0;
        Cumulative = true;
    }

    /// <summary>Back to the exponential moving average of supernet training.</summary>
    public void EndRecalibration() => Cumulative = false;

    public override Tensor forward(Tensor input)
    {
        var factor = Momentum;
        if (training)
        {
            BatchesTracked++;
            if (Cumulative) factor = 1.0 / BatchesTracked;
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, factor, _eps);
    }
}
