using System.ComponentModel;
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

/// <summary>Options of commands that build a block space and read a dataset.</summary>
public class SpaceDataSettings : EngineSettings
{
    [KnownSpace]
    [CommandOption("--space <SPACE>")]
    [Description("Block space: fmnist-mbconv, fmnist-shufflenet, fairnas-mbconv, spos-shufflenet.")]
    [DefaultValue("fmnist-mbconv")]
    public string Space { get; init; } = "fmnist-mbconv";

    [KnownDataset]
    [CommandOption("--dataset <NAME>")]
    [Description("fmnist-embedded (shipped subset), fmnist (full; /usr/share/datasets/fashion-mnist or --data-dir), cifar10 (--data-dir), synthetic (nas train: random images at the space's input shape, for speed and memory only).")]
    [DefaultValue("fmnist-embedded")]
    public string Dataset { get; init; } = "fmnist-embedded";

    [PathText]
    [CommandOption("--data-dir <FOLDER>")]
    [Description("Folder holding the dataset files.")]
    public string? DataDir { get; init; }
}
