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

    /// <summary>
    /// Training passes do not fold their batch statistics into the running ones themselves: they hand them to the
    /// calling thread's <see cref="StatisticsCollector"/>, and the caller folds them later with
    /// <see cref="FoldStatistics"/>, in an order of its choosing. For modules that several paths run through at once
    /// on different threads (a supernet's stem and head): the moving average then does not depend on which thread
    /// came first. Recalibration (cumulative mode) updates directly as always.
    /// </summary>
    public bool DeferStatistics { get; set; }

    /// <summary>Batch statistics handed over by deferred-statistics modules on this thread (null: none expected).</summary>
    [ThreadStatic] private static List<DeferredStatistics>? _collector;

    /// <summary>Collects this thread's deferred statistics until the returned list is taken back with <see cref="StopCollecting"/>.</summary>
    public static List<DeferredStatistics> StartCollecting() => _collector = [];

    public static void StopCollecting() => _collector = null;

    /// <summary>Folds one training batch's mean and (unbiased) variance into the running statistics, as a training pass would.</summary>
    public void FoldStatistics(Tensor mean, Tensor variance)
    {
        using var noGrad = torch.no_grad();
        using var keep = (1.0 - Momentum).ToScalar();
        using var take = Momentum.ToScalar();
        running_mean.mul_(keep).add_(mean, take);
        running_var.mul_(keep).add_(variance, take);
        BatchesTracked++;
    }

    /// <summary>
    /// Ghost BatchNorm (Hoffer et al., 2017; One-Shot's supernet): in a training pass, each run of this many examples
    /// of the batch is normalised with its own statistics, and the running statistics take the ghost batches' mean
    /// mean and mean variance once per pass. 0 (or a batch no larger): the whole batch, as usual.
    /// </summary>
    public int GhostBatchSize { get; set; }

    public override Tensor forward(Tensor input)
    {
        if (training && !Cumulative && GhostBatchSize > 0 && input.shape[0] > GhostBatchSize) return GhostForward(input);
        if (training && DeferStatistics && !Cumulative)
        {
            var collector = _collector ?? throw new InvalidOperationException(
                "A BatchNorm with deferred statistics ran a training pass outside PathBatchNorm.StartCollecting.");
            // Fresh running buffers with momentum 1 come back holding exactly this batch's mean and unbiased variance,
            // computed by the same kernel that normalises (a separate var_mean would read the feature map once more).
            var mean = zeros(Features, dtype: input.dtype, device: input.device);
            var variance = ones(Features, dtype: input.dtype, device: input.device);
            var output = nn.functional.batch_norm(input, mean, variance, weight, bias, training: true, momentum: 1.0, _eps);
            collector.Add(new DeferredStatistics(this, mean.DetachFromDisposeScope(), variance.DetachFromDisposeScope()));
            return output;
        }
        var factor = Momentum;
        if (training)
        {
            BatchesTracked++;
            if (Cumulative) factor = 1.0 / BatchesTracked;
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, factor, _eps);
    }

    private Tensor GhostForward(Tensor input)
    {
        var ghosts = input.split(GhostBatchSize, 0);
        var outputs = new Tensor[ghosts.Length];
        var means = new Tensor[ghosts.Length];
        var variances = new Tensor[ghosts.Length];
        for (var g = 0; g < ghosts.Length; g++)
        {
            // Momentum 1 into fresh buffers: they come back holding the ghost batch's own statistics (see below).
            means[g] = zeros(Features, dtype: input.dtype, device: input.device);
            variances[g] = ones(Features, dtype: input.dtype, device: input.device);
            outputs[g] = nn.functional.batch_norm(ghosts[g], means[g], variances[g], weight, bias, training: true, momentum: 1.0, _eps);
        }
        using var mean = stack(means).mean([0L]);
        using var variance = stack(variances).mean([0L]);
        if (DeferStatistics)
        {
            var collector = _collector ?? throw new InvalidOperationException(
                "A BatchNorm with deferred statistics ran a training pass outside PathBatchNorm.StartCollecting.");
            collector.Add(new DeferredStatistics(this, mean.clone().DetachFromDisposeScope(), variance.clone().DetachFromDisposeScope()));
        }
        else FoldStatistics(mean, variance);
        return cat(outputs, 0);
    }
}

/// <summary>One training batch's statistics of a <see cref="PathBatchNorm"/> with deferred statistics; owns its tensors.</summary>
public sealed record DeferredStatistics(PathBatchNorm Norm, Tensor Mean, Tensor Variance) : IDisposable
{
    public void Fold() => Norm.FoldStatistics(Mean, Variance);

    public void Dispose()
    {
        Mean.Dispose();
        Variance.Dispose();
    }
}
