using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods;

/// <summary>
/// The frame of every method whose weights train by one SGD with momentum (<see cref="SgdMomentum"/>): the network
/// and the method's context, the optimizer (over the network's parameters unless the method names its own), its
/// momentum as the checkpointed state <c>momentum/NAME</c>, and a dropout generator seeded per (seed, purpose,
/// counters). One weight batch per step and no distribution unless a method says otherwise.
/// </summary>
public abstract class SgdTrainedMethod : ITrainingMethod
{
    private Generator? _dropout;

    protected SgdTrainedMethod(MethodContext context, IEnumerable<(string Name, Parameter Parameter)>? weights = null)
    {
        Context = context;
        Network = context.Network;
        Optimizer = new SgdMomentum(weights ?? Network.named_parameters(), context.Options.Momentum, context.Options.WeightDecay);
    }

    public abstract string Name { get; }
    public BlockNetwork Network { get; }
    protected MethodContext Context { get; }

    /// <summary>The weights' SGD with momentum.</summary>
    protected SgdMomentum Optimizer { get; }

    public virtual int BatchesPerStep => 1;
    public virtual ArchitectureDistribution? Distribution => null;

    public abstract StepMetrics TrainStep(long step, double learningRate);

    // Declared here, not left to the interface's default: a subclass's own Derived would not implement it otherwise.
    public virtual IReadOnlyList<Architecture> Derived() => [];

    public virtual IEnumerable<(string Name, Tensor Tensor)> State() => MomentumState();

    public virtual void LoadState(LoadedCheckpoint checkpoint) => LoadMomentum(checkpoint);

    /// <summary>The momentum buffers, named <c>momentum/PARAMETER</c>.</summary>
    protected IEnumerable<(string Name, Tensor Tensor)> MomentumState() =>
        Optimizer.MomentumBuffers.Select(kv => ("momentum/" + kv.Key, kv.Value));

    /// <summary>Restores <see cref="MomentumState"/>; a bad buffer is a <see cref="CheckpointException"/> naming it.</summary>
    protected void LoadMomentum(LoadedCheckpoint checkpoint)
    {
        try { Optimizer.LoadMomentum(checkpoint.WithPrefix("momentum/")); }
        catch (ArgumentException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
    }

    /// <summary>The cross-entropy of <paramref name="logits"/> against <paramref name="labels"/>, with the options' label smoothing.</summary>
    protected Tensor CrossEntropy(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits, labels, label_smoothing: Context.Options.LabelSmoothing);

    /// <summary>The share of the batch's examples whose argmax of <paramref name="logits"/> is their label.</summary>
    protected static double Accuracy(Tensor logits, TensorBatch batch) =>
        (double)logits.argmax(1).eq(batch.Labels).sum().item<long>() / batch.Size;

    /// <summary>Backward of <paramref name="loss"/>, then <paramref name="beforeStep"/> (folding BatchNorm statistics,
    /// clipping), then one SGD step; returns the step's loss and accuracy on the batch.</summary>
    protected StepMetrics SgdStep(long step, double learningRate, TensorBatch batch, Tensor logits, Tensor loss, Action? beforeStep = null)
    {
        loss.backward();
        beforeStep?.Invoke();
        Optimizer.Step(learningRate);
        return new StepMetrics(step, loss.item<float>(), Accuracy(logits, batch), batch.Size, learningRate);
    }

    /// <summary>The dropout generator, seeded by (seed, purpose, counters).</summary>
    protected Generator DropoutGenerator(string purpose, params long[] counters)
    {
        // Created on first use: the path-sampling methods keep one generator per path of their own.
        _dropout ??= BlockNetwork.NewDropoutGenerator();
        _dropout.manual_seed((long)(DeterministicRandom.Mix(Context.Options.Seed, purpose, counters) >> 1));
        return _dropout;
    }

    public virtual void Dispose()
    {
        Optimizer.Dispose();
        _dropout?.Dispose();
        GC.SuppressFinalize(this);
    }
}
