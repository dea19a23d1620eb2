using System.ComponentModel;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Runtime;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

/// <summary>Options every command that runs tensors shares.</summary>
public class EngineSettings : CommandSettings
{
    [DeviceName]
    [CommandOption("--device <DEVICE>")]
    [Description("cpu, cuda, cuda:N or auto (cuda when available).")]
    [DefaultValue("auto")]
    public string Device { get; init; } = "auto";

    [ThreadCount]
    [CommandOption("--threads <N>")]
    [Description("CPU threads for tensor operations (0 = LibTorch's default).")]
    [DefaultValue(0)]
    public int Threads { get; init; }

    [ThreadCount]
    [CommandOption("--path-workers <N>")]
    [Description("FairNAS paths of a training step run at once, one thread each; the result does not depend on it (0 = one per processor on a CPU, with one thread per op unless --threads is set; 1 on a GPU).")]
    [DefaultValue(0)]
    public int PathWorkers { get; init; }

    [PathText]
    [CommandOption("--libtorch <FOLDER>")]
    [Description("Load LibTorch from this folder (e.g. PyTorch's torch/lib on a GPU node); also NASACTORS_LIBTORCH.")]
    public string? LibTorch { get; init; }

    [OneOf("retain", "system")]
    [CommandOption("--host-memory <POLICY>")]
    [Description("retain (keep the host memory LibTorch frees for the next step: glibc malloc's mmap threshold 32 MiB, trim threshold 2 GiB, top pad 64 MiB; MALLOC_* variables you set win) or system (the C library's defaults).")]
    [DefaultValue("retain")]
    public string HostMemory { get; init; } = "retain";

    [CommandOption("--json")]
    [Description("Print one JSON document on standard output instead of tables and progress bars.")]
    public bool Json { get; init; }

    public TorchRuntimeInfo InitializeTorch() =>
        TorchRuntime.Initialize(new TorchRuntimeOptions
        {
            Device = Device, Threads = Threads, PathWorkers = PathWorkers, LibTorchFolder = LibTorch,
            HostMemory = NasActors.Torch.Runtime.HostMemory.Parse(HostMemory),
        });
}

/// <summary>
/// Options of commands that build a block space and read a dataset. Left out (null): fmnist-mbconv on fmnist-embedded,
/// except for commands with a preset (quickstart, rank-study), which take the preset's.
/// </summary>
public class SpaceDataSettings : EngineSettings
{
    [KnownSpace]
    [CommandOption("--space <SPACE>")]
    [Description("Block space: fmnist-mbconv (default), fmnist-shufflenet, fairnas-mbconv, spos-shufflenet; quickstart and rank-study: their preset's by default.")]
    public string? Space { get; init; }

    [KnownDataset]
    [CommandOption("--dataset <NAME>")]
    [Description("fmnist-embedded (shipped subset; default), fmnist (full; /usr/share/datasets/fashion-mnist or --data-dir), cifar10 (--data-dir), synthetic (nas train: random images at the space's input shape, for speed and memory only); quickstart and rank-study: their preset's by default.")]
    public string? Dataset { get; init; }

    [PathText]
    [CommandOption("--data-dir <FOLDER>")]
    [Description("Folder holding the dataset files.")]
    public string? DataDir { get; init; }

    public string SpaceOrDefault => Space ?? BlockSpaces.FmnistMbConv;
    public string DatasetOrDefault => Dataset ?? DatasetCatalog.FashionMnistEmbedded;
}

/// <summary>
/// The supernet-training options every command that trains one shares (train, benchmark-methods, quickstart,
/// rank-study): one spelling, check and description each. Left out (null): the command's <see cref="Defaults"/>, or
/// for quickstart and rank-study their preset's.
/// </summary>
public class SupernetTrainingSettings : SpaceDataSettings
{
    [AtLeastOne]
    [CommandOption("--steps <N>")]
    [Description("Supernet optimizer steps (default: train 300, benchmark-methods 20 per method; quickstart: its spec's; rank-study: its preset's FairNAS steps, SPOS gets m times as many).")]
    public long? Steps { get; init; }

    [AtLeastOne(65536)]
    [CommandOption("--batch-size <N>")]
    [Description("Images per batch (default: train 128, benchmark-methods 64; quickstart and rank-study: their preset's).")]
    public int? BatchSize { get; init; }

    [NonNegative]
    [CommandOption("--seed <SEED>")]
    [Description("Seed of the data split, the paths and the weights (default 1; rank-study: its preset's, also of its sample and bootstrap).")]
    public long? Seed { get; init; }

    [CommandOption("--mean-gradients")]
    [Description("FairNAS: shared parameters (stem, head) move by the mean of the m path gradients, not their sum (quickstart's spec has it on).")]
    public bool MeanGradients { get; init; }

    /// <summary>This command's steps and batch size when the options are left out.</summary>
    protected virtual (long Steps, int BatchSize) Defaults => (300, 128);

    public long StepsOrDefault => Steps ?? Defaults.Steps;
    public int BatchSizeOrDefault => BatchSize ?? Defaults.BatchSize;
    public long SeedOrDefault => Seed ?? 1;
}
