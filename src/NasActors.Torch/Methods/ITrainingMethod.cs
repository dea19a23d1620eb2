using NasActors.Core.Controllers;
using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using NasActors.Torch.Training;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods;

/// <summary>
/// A one-shot training method: how a supernet's layers mix their choices in a step (one sampled path, a weighted sum,
/// binary gates), which parameters it trains with which optimizers, what one step does, what it exports and what it
/// checkpoints. <see cref="SupernetTrainer"/> drives it; everything a step does is a pure function of (options, step).
/// </summary>
public interface ITrainingMethod : IDisposable
{
    /// <summary>The method's name in specs and checkpoints (<c>spos</c>, <c>darts</c>, ...).</summary>
    string Name { get; }

    /// <summary>Weight-stream batches one step reads: batch positions step * n .. step * n + n - 1.</summary>
    int BatchesPerStep { get; }

    /// <summary>One optimizer step (the architecture step first, where the method has one).</summary>
    StepMetrics TrainStep(long step, double learningRate);

    /// <summary>What the method has learned about the architecture; null for methods that learn none (uniform sampling).</summary>
    ArchitectureDistribution? Distribution { get; }

    /// <summary>Optimizer and architecture state as named tensors (the network's own state is saved by the trainer).</summary>
    IEnumerable<(string Name, Tensor Tensor)> State();

    /// <summary>Restores <see cref="State"/> from a checkpoint; throws <see cref="CheckpointException"/> naming what is wrong.</summary>
    void LoadState(LoadedCheckpoint checkpoint);

    /// <summary>
    /// Architectures the method hands to the <c>derived</c> controller (ENAS: samples of its policy; Single-Path NAS: the
    /// architecture its thresholds select), best first where it ranks them; empty for methods that export only their
    /// <see cref="Distribution"/> or nothing.
    /// </summary>
    IReadOnlyList<NasActors.Core.Spaces.Architecture> Derived() => [];
}

/// <summary>What a method is built from. <see cref="ArchitectureData"/> is the architecture split's stream (null for
/// methods without architecture parameters); <see cref="Latency"/> a per-layer latency table in milliseconds
/// (metric <see cref="CostMetrics.Latency"/>), for the latency-aware methods.</summary>
public sealed record MethodContext(BlockSpace Space, BlockNetwork Network, BatchLoader Data, BatchLoader? ArchitectureData,
    SupernetTrainingOptions Options, Device Device, int PathWorkers = 1, AdditiveCostModel? Latency = null);

/// <summary>A method's registration: its name, what it is, how much of the training split its architecture step
/// takes (0: none), and how to build it.</summary>
public sealed record TrainingMethodInfo(string Name, string Description, double ArchitectureFraction,
    Func<MethodContext, ITrainingMethod> Create)
{
    /// <summary>The method's published weight recipe applied to options (learning rate, decay, weight decay, ...); identity when it has none of its own.</summary>
    public Func<SupernetTrainingOptions, SupernetTrainingOptions> Recipe { get; init; } = o => o;

    /// <summary>Reads the method's own settings (a spec's <c>training.NAME { ... }</c> block, key/value text) onto
    /// options; every key it reads is known, any other is refused by <see cref="TrainingMethods.WithSettings"/>.</summary>
    public Func<SupernetTrainingOptions, SettingsReader, SupernetTrainingOptions> ReadSettings { get; init; } = (o, _) => o;

    /// <summary>The network the method trains, from (space, initialisation seed): the weight-sharing supernet unless the
    /// method has its own (Single-Path NAS: one superkernel per layer).</summary>
    public Func<BlockSpace, long, BlockNetwork> Network { get; init; } = (space, seed) => BlockNetwork.Supernet(space, seed);

    /// <summary>
    /// The supernet that scores candidates with a checkpoint's inherited weights: a path forward through it is the
    /// method's candidate network (One-Shot: the other ops zeroed; SMASH: the hypernetwork's weights written into every
    /// block; Single-Path NAS: every choice block cut out of its layer's superkernel). Default: the checkpoint's supernet.
    /// </summary>
    public Func<LoadedCheckpoint, BlockSpace, Device, BlockNetwork> ScoringNetwork { get; init; } = SupernetCheckpoint.LoadSupernet;

    /// <summary>True when the method hands architectures to the <c>derived</c> controller (<see cref="ITrainingMethod.Derived"/>).</summary>
    public bool Derives { get; init; }

    public bool HasArchitectureParameters => ArchitectureFraction > 0;

    /// <summary>True when the <c>derived</c> controller has something to propose from: a distribution or derived architectures.</summary>
    public bool LearnsArchitecture => HasArchitectureParameters || Derives;
}

/// <summary>The known training methods: adding one is a folder with its class and one line here.</summary>
public static class TrainingMethods
{
    private static readonly TrainingMethodInfo[] Registered =
    [
        Spos.SposMethod.Info,
        FairNas.FairNasMethod.Info,
        Darts.DartsMethod.Info,
        FbNet.FbNetMethod.Info,
        ProxylessNas.ProxylessNasMethod.Info,
        OneShot.OneShotMethod.Info,
        Smash.SmashMethod.Info,
        SinglePathNas.SinglePathNasMethod.Info,
        Enas.EnasMethod.Info,
    ];

    public static IReadOnlyList<string> Names { get; } = Registered.Select(m => m.Name).ToArray();

    /// <summary>The registration of a method; a clear error names an unknown one and lists the known.</summary>
    public static TrainingMethodInfo Get(string name) =>
        Registered.FirstOrDefault(m => string.Equals(m.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown training method '{name}'. Known methods: {string.Join(", ", Names)}.");

    public static ITrainingMethod Create(string name, MethodContext context) => Get(name).Create(context);

    /// <summary>
    /// Options with the method's own settings applied (<see cref="TrainingMethodInfo.ReadSettings"/>), then validated.
    /// A bad value or a key the method does not know fails with <see cref="ControllerSettingsException"/> naming it.
    /// </summary>
    public static SupernetTrainingOptions WithSettings(SupernetTrainingOptions options, IReadOnlyDictionary<string, string>? settings)
    {
        var info = Get(options.Method);
        var reader = new SettingsReader(info.Name, settings, "Training method");
        var applied = info.ReadSettings(options, reader);
        reader.RejectUnknown();
        applied.Validate();
        return applied;
    }
}
