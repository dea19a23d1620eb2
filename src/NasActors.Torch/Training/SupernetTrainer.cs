using System.Globalization;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Supernet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// Trains a weight-sharing supernet one optimizer step at a time. Each step asks the sampler for its paths, runs a
/// forward/backward pass per path on its own batch (gradients accumulate), then takes ONE optimizer step. Everything a
/// step does is a pure function of (options, step): paths from the sampler, batches from their stream position,
/// dropout from a generator seeded per step. A checkpoint therefore only needs weights, momentum and the step.
/// </summary>
public sealed class SupernetTrainer : IDisposable
{
    private readonly BatchLoader _data;
    private readonly SgdMomentum _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly Generator _dropout;

    public SupernetTrainer(BlockSpace space, BatchLoader data, SupernetTrainingOptions options, Device? device = null)
    {
        options.Validate();
        if (data.BatchSize != options.BatchSize)
            throw new ArgumentException($"The batch source yields batches of {data.BatchSize}, the options ask for {options.BatchSize}.");
        Space = space;
        Options = options;
        Device = device ?? CPU;
        _data = data;
        Sampler = PathSamplers.Create(options.Method, space, options.Seed,
            options.FlopsBands > 0 ? new FlopsBands(space.CostModel(), options.FlopsBands) : null);
        Network = BlockNetwork.Supernet(space, (long)(DeterministicRandom.Mix(options.Seed, "supernet-init") >> 1));
        Network.to(Device);
        _dropout = new Generator(0, Device);
        Network.DropoutGenerator = _dropout;
        _optimizer = new SgdMomentum(Network.named_parameters(), options.Momentum, options.WeightDecay);
        _schedule = new LearningRateSchedule(options.LearningRate, options.Steps, options.Decay, options.WarmupSteps);
    }

    public BlockSpace Space { get; }
    public SupernetTrainingOptions Options { get; }
    public Device Device { get; }
    public BlockNetwork Network { get; }
    public IPathSampler Sampler { get; }

    /// <summary>Optimizer steps taken so far; also the sampler, scheduler and data stream position.</summary>
    public long Step { get; private set; }

    public bool IsComplete => Step >= Options.Steps;

    /// <summary>Called with each path right before its forward pass (e.g. to count trained choice blocks).</summary>
    public event Action<long, Architecture>? PathTrained;

    /// <summary>One optimizer step over the sampler's paths for the current step.</summary>
    public StepMetrics TrainStep()
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        var learningRate = _schedule.At(Step);
        var paths = Sampler.Sample(Step);
        Network.zero_grad();
        _dropout.manual_seed((long)(DeterministicRandom.Mix(Options.Seed, "dropout", Step) >> 1));
        double lossSum = 0;
        long correct = 0, images = 0;
        for (var i = 0; i < paths.Count; i++)
        {
            using var pathScope = torch.NewDisposeScope();
            using var batch = _data.GetBatch(Step * paths.Count + i, Device);
            var (x, y) = (batch.Images, batch.Labels);
            PathTrained?.Invoke(Step, paths[i]);
            var logits = Network.Forward(x, paths[i]);
            var loss = nn.functional.cross_entropy(logits, y, label_smoothing: Options.LabelSmoothing);
            loss.backward();
            lossSum += loss.item<float>();
            correct += logits.argmax(1).eq(y).sum().item<long>();
            images += y.shape[0];
        }
        if (Options.MeanGradientOverPaths && paths.Count > 1) AverageSharedGradients(paths.Count);
        _optimizer.Step(learningRate);
        var metrics = new StepMetrics(Step, lossSum / paths.Count, (double)correct / images, (int)images, learningRate);
        Step++;
        return metrics;
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
        _dropout.Dispose();
    }
}
