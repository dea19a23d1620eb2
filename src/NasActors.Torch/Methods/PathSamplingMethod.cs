using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Sampling;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods;

/// <summary>
/// "Sample paths, train weights" (SPOS, FairNAS): each step asks the sampler for its paths, runs a forward/backward
/// pass per path on its own batch, sums the paths' gradients in path order, then takes ONE SGD step. No architecture
/// parameters: the state is the momentum alone.
/// <para>
/// The m paths of a FairNAS step touch disjoint choice blocks and share only the stem, head and classifier, so up to
/// <see cref="MethodContext.PathWorkers"/> of them run at once on different threads (on a CPU node, each on one core:
/// at the small batches a supernet trains with, one LibTorch op barely uses a second thread). The result does not
/// depend on the number of workers: each pass returns its gradients (autograd.grad, nothing accumulates behind the
/// scenes) and the stem's and head's BatchNorm batch statistics (<see cref="PathBatchNorm.DeferStatistics"/>), and
/// the method folds both in path order.
/// </para>
/// </summary>
public abstract class PathSamplingMethod : SgdTrainedMethod
{
    private readonly Generator[] _dropout;

    protected PathSamplingMethod(MethodContext context, IPathSampler sampler) : base(context)
    {
        Sampler = sampler;
        foreach (var norm in Network.SharedModules().SelectMany(m => m.modules()).OfType<PathBatchNorm>()) norm.DeferStatistics = true;
        _dropout = Enumerable.Range(0, Sampler.PathsPerStep).Select(_ => BlockNetwork.NewDropoutGenerator()).ToArray();
    }

    public IPathSampler Sampler { get; }
    public override int BatchesPerStep => Sampler.PathsPerStep;

    /// <summary>Called with each path of a step, in path order, before the step's passes run (e.g. to count trained choice blocks).</summary>
    public event Action<long, Architecture>? PathTrained;

    public override StepMetrics TrainStep(long step, double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        var paths = Sampler.Sample(step);
        if (paths.Count > _dropout.Length)
            throw new InvalidOperationException($"The sampler gave {paths.Count} paths for one step, it promised at most {_dropout.Length}.");
        Network.zero_grad();
        foreach (var path in paths) PathTrained?.Invoke(step, path);
        var passes = new PathPass?[paths.Count];
        try
        {
            if (Context.PathWorkers > 1 && paths.Count > 1 && OnlySharedModulesOverlap(paths))
            {
                try
                {
                    Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = Context.PathWorkers },
                        i => passes[i] = RunPath(step, paths, i));
                }
                catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                }
            }
            else
            {
                for (var i = 0; i < paths.Count; i++) passes[i] = RunPath(step, paths, i);
            }
            foreach (var pass in passes) pass!.Fold();
        }
        finally
        {
            foreach (var pass in passes) pass?.Dispose();
        }
        if (Context.Options.MeanGradientOverPaths && paths.Count > 1) AverageSharedGradients(paths.Count);
        Optimizer.Step(learningRate);
        var images = passes.Sum(p => p!.Images);
        return new StepMetrics(step, passes.Average(p => p!.Loss), (double)passes.Sum(p => p!.Correct) / images, images, learningRate);
    }

    /// <summary>True when no choice block runs in two paths of the step (FairNAS), so the passes may run at once.</summary>
    private static bool OnlySharedModulesOverlap(IReadOnlyList<Architecture> paths)
    {
        for (var layer = 0; layer < paths[0].Count; layer++)
        {
            var seen = new HashSet<int>();
            foreach (var path in paths)
                if (!seen.Add(path[layer])) return false;
        }
        return true;
    }

    /// <summary>Forward and backward of path <paramref name="i"/> of the step on its batch; touches no gradient buffer.</summary>
    private PathPass RunPath(long step, IReadOnlyList<Architecture> paths, int i)
    {
        using var scope = torch.NewDisposeScope();
        var statistics = PathBatchNorm.StartCollecting();
        try
        {
            using var batch = Context.Data.GetBatch(step * paths.Count + i, Context.Device);
            var (x, y) = (batch.Images, batch.Labels);
            _dropout[i].manual_seed((long)(DeterministicRandom.Mix(Context.Options.Seed, "dropout", step, i) >> 1));
            var logits = Network.Forward(x, paths[i], _dropout[i]);
            var loss = CrossEntropy(logits, y);
            var parameters = Network.PathParameters(paths[i]);
            // A parameter the loss does not reach (in a cell, a conv whose node feeds only "none" edges) gets no gradient.
            var gradients = torch.autograd.grad([loss], parameters.Cast<Tensor>().ToList(), allow_unused: true)
                .Select(g => g is null || g.IsInvalid ? null : g.DetachFromDisposeScope()).ToArray();
            return new PathPass(parameters, gradients, statistics.ToArray(), loss.item<float>(),
                logits.argmax(1).eq(y).sum().item<long>(), (int)y.shape[0]);
        }
        catch
        {
            foreach (var s in statistics) s.Dispose();
            throw;
        }
        finally
        {
            PathBatchNorm.StopCollecting();
        }
    }

    /// <summary>What one path's pass produced: its gradients and shared BatchNorm statistics (owned), loss and hits.</summary>
    private sealed record PathPass(IReadOnlyList<Parameter> Parameters, Tensor?[] Gradients, DeferredStatistics[] Statistics,
        double Loss, long Correct, int Images) : IDisposable
    {
        /// <summary>Adds the gradients to the parameters' (first contributor sets them) and folds the statistics.</summary>
        public void Fold()
        {
            using var noGrad = torch.no_grad();
            for (var k = 0; k < Parameters.Count; k++)
            {
                if (Gradients[k] is not { } g) continue;
                using var existing = Parameters[k].grad;
                if (existing is null) Parameters[k].grad = g;
                else existing.add_(g);
            }
            foreach (var s in Statistics) s.Fold();
        }

        public void Dispose()
        {
            foreach (var g in Gradients) g?.Dispose();
            foreach (var s in Statistics) s.Dispose();
        }
    }

    /// <summary>Parameters outside the choice layers were used by every path of the step: divide their gradient by m.</summary>
    private void AverageSharedGradients(int paths)
    {
        using var noGrad = torch.no_grad();
        using var divisor = ((double)paths).ToScalar();
        foreach (var (name, p) in Network.named_parameters())
        {
            if (name.StartsWith("layers.", StringComparison.Ordinal)) continue;
            using var grad = p.grad;
            grad?.div_(divisor);
        }
    }

    public override void Dispose()
    {
        foreach (var g in _dropout) g.Dispose();
        base.Dispose();
    }
}
