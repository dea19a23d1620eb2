using System.Globalization;
using System.Text.Json;
using NasActors.Core.Costs;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Methods;
using NasActors.Torch.Sampling;
using NasActors.Torch.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// Trains a weight-sharing supernet one step at a time with a training method (<see cref="TrainingMethods"/>): the
/// trainer builds the supernet, keeps the step counter and the learning-rate schedule, and writes and restores
/// checkpoints; the method decides what a step does. Everything a step does is a pure function of (options, step),
/// so a checkpoint only needs the network, the method's state and the step.
/// </summary>
public sealed class SupernetTrainer : IDisposable
{
    private readonly LearningRateSchedule _schedule;

    /// <param name="data">The weight stream (the training split, less the architecture split where the method has one).</param>
    /// <param name="pathWorkers">Paths of a step trained at once (threads); 1 trains them one after another.</param>
    /// <param name="architectureData">The architecture split's stream; required by methods with architecture parameters.</param>
    /// <param name="latency">A per-layer latency table (milliseconds) for the latency-aware methods.</param>
    public SupernetTrainer(BlockSpace space, BatchLoader data, SupernetTrainingOptions options, Device? device = null, int pathWorkers = 1,
        BatchLoader? architectureData = null, AdditiveCostModel? latency = null)
    {
        options.Validate();
        if (data.BatchSize != options.BatchSize)
            throw new ArgumentException($"The batch source yields batches of {data.BatchSize}, the options ask for {options.BatchSize}.");
        if (pathWorkers < 1) throw new ArgumentOutOfRangeException(nameof(pathWorkers), pathWorkers, "At least one path worker is needed.");
        var info = TrainingMethods.Get(options.Method);
        if (info.HasArchitectureParameters && architectureData is null)
            throw new ArgumentException($"Method '{info.Name}' trains architecture parameters: it needs the architecture split's batches.");
        Space = space;
        Options = options;
        Device = device ?? CPU;
        PathWorkers = pathWorkers;
        Network = info.Network(space, (long)(DeterministicRandom.Mix(options.Seed, "supernet-init") >> 1));
        try
        {
            Network.to(Device);
            Method = info.Create(new MethodContext(space, Network, data, architectureData, options, Device, pathWorkers, latency));
        }
        catch
        {
            Network.Dispose();
            throw;
        }
        _schedule = new LearningRateSchedule(options.LearningRate, options.Steps, options.Decay, options.WarmupSteps, options.MinLearningRate);
    }

    public BlockSpace Space { get; }
    public SupernetTrainingOptions Options { get; }
    public Device Device { get; }
    public BlockNetwork Network { get; }
    public ITrainingMethod Method { get; }

    /// <summary>The path sampler of a path-sampling method (SPOS, FairNAS); null for the others.</summary>
    public IPathSampler? Sampler => (Method as PathSamplingMethod)?.Sampler;

    /// <summary>How many paths of a step train at once.</summary>
    public int PathWorkers { get; }

    /// <summary>Optimizer steps taken so far; also the sampler, scheduler and data stream position.</summary>
    public long Step { get; private set; }

    public bool IsComplete => Step >= Options.Steps;

    /// <summary>Called with each path of a step, in path order, before the step's passes run (path-sampling methods).</summary>
    public event Action<long, Architecture>? PathTrained
    {
        add { if (Method is PathSamplingMethod m) m.PathTrained += value; }
        remove { if (Method is PathSamplingMethod m) m.PathTrained -= value; }
    }

    /// <summary>One step of the method at the current step.</summary>
    public StepMetrics TrainStep()
    {
        var metrics = Method.TrainStep(Step, _schedule.At(Step));
        Step++;
        return metrics;
    }

    /// <summary>Writes a checkpoint (weights, buffers, the method's state, step, options; a differentiable method's
    /// distribution and argmax in the metadata too).</summary>
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
            ["data-position"] = (Step * Method.BatchesPerStep).ToString(CultureInfo.InvariantCulture),
            ["options"] = JsonSerializer.Serialize(Options),
        };
        if (Method.Distribution is { } distribution)
        {
            metadata["architecture"] = Space.Format(distribution.Argmax());
            metadata["architecture-probabilities"] = JsonSerializer.Serialize(distribution.Probabilities);
        }
        if (Method.Derived() is { Count: > 0 } derived)
            metadata["derived-architectures"] = JsonSerializer.Serialize(derived.Select(Space.Format));
        var tensors = Network.state_dict().Select(kv => ("model/" + kv.Key, kv.Value)).Concat(Method.State());
        return Checkpoint.Save(folder, Step, metadata, tensors);
    }

    /// <summary>Restores weights, buffers, the method's state and the step from a checkpoint of the same space and method.</summary>
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
        Method.LoadState(checkpoint);
        Step = step;
    }

    public void Dispose()
    {
        Method.Dispose();
        Network.Dispose();
    }
}
