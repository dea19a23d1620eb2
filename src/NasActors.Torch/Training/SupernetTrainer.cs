using System.Globalization;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// Trains a weight-sharing supernet one optimizer step at a time. Each step asks the sampler for its paths, runs a
/// forward/backward pass per path on its own batch, sums the paths' gradients in path order, then takes ONE optimizer
/// step. Everything a step does is a pure function of (options, step): paths from the sampler, batches from their
/// stream position, dropout from a generator seeded per step and path. A checkpoint therefore only needs weights,
/// momentum and the step.
/// <para>
/// The m paths of a FairNAS step touch disjoint choice blocks and share only the stem, head and classifier, so up to
/// <see cref="PathWorkers"/> of them run at once on different threads (on a CPU node, each on one core: at the
/// small batches a supernet trains with, one LibTorch op barely uses a second thread). The result does not depend on
/// the number of workers: each pass returns its gradients (autograd.grad, nothing accumulates behind the scenes) and
/// the stem's and head's BatchNorm batch statistics (<see cref="PathBatchNorm.DeferStatistics"/>), and the trainer
/// folds both in path order.
/// </para>
/// </summary>
public sealed class SupernetTrainer : IDisposable
{
    private readonly BatchLoader _data;
    private readonly SgdMomentum _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly Generator[] _dropout;

    /// <param name="pathWorkers">Paths of a step trained at once (threads); 1 trains them one after another.</param>
    public SupernetTrainer(BlockSpace space, BatchLoader data, SupernetTrainingOptions options, Device? device = null, int pathWorkers = 1)
    {
        options.Validate();
        if (data.BatchSize != options.BatchSize)
            throw new ArgumentException($"The batch source yields batches of {data.BatchSize}, the options ask for {options.BatchSize}.");
        if (pathWorkers < 1) throw new ArgumentOutOfRangeException(nameof(pathWorkers), pathWorkers, "At least one path worker is needed.");
        Space = space;
        Options = options;
        Device = device ?? CPU;
        PathWorkers = pathWorkers;
        _data = data;
        Sampler = PathSamplers.Create(options.Method, space, options.Seed,
            options.FlopsBands > 0 ? new FlopsBands(space.CostModel(), options.FlopsBands) : null);
        Network = BlockNetwork.Supernet(space, (long)(DeterministicRandom.Mix(options.Seed, "supernet-init") >> 1));
        Network.to(Device);
        foreach (var norm in Network.SharedModules().SelectMany(m => m.modules()).OfType<PathBatchNorm>()) norm.DeferStatistics = true;
        _dropout = Enumerable.Range(0, Sampler.PathsPerStep).Select(_ => BlockNetwork.NewDropoutGenerator()).ToArray();
        _optimizer = new SgdMomentum(Network.named_parameters(), options.Momentum, options.WeightDecay);
        _schedule = new LearningRateSchedule(options.LearningRate, options.Steps, options.Decay, options.WarmupSteps);
    }

    public BlockSpace Space { get; }
    public SupernetTrainingOptions Options { get; }
    public Device Device { get; }
    public BlockNetwork Network { get; }
    public IPathSampler Sampler { get; }

    /// <summary>How many paths of a step train at once.</summary>
    public int PathWorkers { get; }

    /// <summary>Optimizer steps taken so far; also the sampler, scheduler and data stream position.</summary>
    public long Step { get; private set; }

    public bool IsComplete => Step >= Options.Steps;

    /// <summary>Called with each path of a step, in path order, before the step's passes run (e.g. to count trained choice blocks).</summary>
    public event Action<long, Architecture>? PathTrained;

    /// <summary>One optimizer step over the sampler's paths for the current step.</summary>
    public StepMetrics TrainStep()
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        var learningRate = _schedule.At(Step);
        var paths = Sampler.Sample(Step);
        if (paths.Count > _dropout.Length)
            throw new InvalidOperationException($"The sampler gave {paths.Count} paths for one step, it promised at most {_dropout.Length}.");
        Network.zero_grad();
        foreach (var path in paths) PathTrained?.Invoke(Step, path);
        var passes = new PathPass?[paths.Count];
        try
        {
            if (PathWorkers > 1 && paths.Count > 1 && OnlySharedModulesOverlap(paths))
            {
                try
                {
                    Parallel.For(0, paths.Count, new ParallelOptions { MaxDegreeOfParallelism = PathWorkers },
                        i => passes[i] = RunPath(paths, i));
                }
                catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                }
            }
            else
            {
                for (var i = 0; i < paths.Count; i++) passes[i] = RunPath(paths, i);
            }
            foreach (var pass in passes) pass!.Fold();
        }
        finally
        {
            foreach (var pass in passes) pass?.Dispose();
        }
        if (Options.MeanGradientOverPaths && paths.Count > 1) AverageSharedGradients(paths.Count);
        _optimizer.Step(learningRate);
        var images = passes.Sum(p => p!.Images);
        var metrics = new StepMetrics(Step, passes.Average(p => p!.Loss), (double)passes.Sum(p => p!.Correct) / images, images, learningRate);
        Step++;
        return metrics;
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
    private PathPass RunPath(IReadOnlyList<Architecture> paths, int i)
    {
        using var scope = torch.NewDisposeScope();
        var statistics = PathBatchNorm.StartCollecting();
        try
        {
            using var batch = _data.GetBatch(Step * paths.Count + i, Device);
            var (x, y) = (batch.Images, batch.Labels);
            _dropout[i].manual_seed((long)(DeterministicRandom.Mix(Options.Seed, "dropout", Step, i) >> 1));
            var logits = Network.Forward(x, paths[i], _dropout[i]);
            var loss = nn.functional.cross_entropy(logits, y, label_smoothing: Options.LabelSmoothing);
            var parameters = Network.PathParameters(paths[i]);
            var gradients = torch.autograd.grad([loss], parameters.Cast<Tensor>().ToList(), allow_unused: true)
                .Select(g => g?.DetachFromDisposeScope()).ToArray();
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

    /// <summary>Writes a checkpoint (weights, buffers, momentum, step, sampler and schedule settings).</summary>
    public CheckpointInfo SaveCheckpoint(string folder, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            ["kind"] = "supernet",
            ["space"] = Space.Name,
            ["space-definition"] = Space.DefinitionHash(),
            ["method"] = Options.Method,
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["sampler-position"] = Step.ToString(CultureInfo.InvariantCulture),
            ["data-position"] = (Step * Sampler.PathsPerStep).ToString(CultureInfo.InvariantCulture),
            ["options"] = System.Text.Json.JsonSerializer.Serialize(Options),
        };
        var tensors = Network.state_dict().Select(kv => ("model/" + kv.Key, kv.Value))
            .Concat(_optimizer.MomentumBuffers.Select(kv => ("momentum/" + kv.Key, kv.Value)));
        return Checkpoint.Save(folder, Step, metadata, tensors);
    }

    /// <summary>Restores weights, buffers, momentum and the step from a checkpoint of the same space and method.</summary>
    public void Restore(LoadedCheckpoint checkpoint)
    {
        var space = checkpoint.Require("space");
        var method = checkpoint.Require("method");
        if (space != Space.Name) throw new CheckpointException(checkpoint.Path, $"it is for space '{space}', this trainer trains '{Space.Name}'");
        SupernetCheckpoint.CheckDefinition(checkpoint, Space);
        if (method != Options.Method) throw new CheckpointException(checkpoint.Path, $"it was trained with '{method}', this trainer uses '{Options.Method}'");
        if (!long.TryParse(checkpoint.Require("step"), NumberStyles.None, CultureInfo.InvariantCulture, out var step))
            throw new CheckpointException(checkpoint.Path, "its step is not a number");
        NetworkState.Load(Network, checkpoint.WithPrefix("model/"), checkpoint.Path);
        try { _optimizer.LoadMomentum(checkpoint.WithPrefix("momentum/")); }
        catch (ArgumentException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
        Step = step;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Network.Dispose();
        foreach (var g in _dropout) g.Dispose();
    }
}
