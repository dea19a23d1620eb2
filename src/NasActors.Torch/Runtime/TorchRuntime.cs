using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Runtime;

/// <summary>How a process sets up LibTorch: where it comes from, which device, how many threads.</summary>
public sealed record TorchRuntimeOptions
{
    /// <summary>
    /// A LibTorch folder to load instead of the natives copied into the app (e.g. PyTorch's torch/lib on a GPU node).
    /// Null: <see cref="TorchRuntime.LibTorchEnvironmentVariable"/> when set, else the app's own natives.
    /// </summary>
    public string? LibTorchFolder { get; init; }

    /// <summary>cpu, cuda, cuda:N or auto (CUDA when available, else CPU).</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Intra-op threads (torch.set_num_threads); 0 leaves LibTorch's default (1 on a CPU with automatic path workers).</summary>
    public int Threads { get; init; }

    /// <summary>Inter-op threads (torch.set_num_interop_threads, settable once per process); 0 leaves the default.</summary>
    public int InteropThreads { get; init; }

    /// <summary>
    /// Paths of a FairNAS step a supernet trainer runs at once, each on its own thread (results do not depend on it).
    /// 0: on a GPU 1; on a CPU one per processor, and then, unless <see cref="Threads"/> is set, one intra-op thread
    /// per op: at a supernet's small batches one op barely uses a second core, while independent paths use them fully
    /// (docs/step-benchmark.md).
    /// </summary>
    public int PathWorkers { get; init; }

    /// <summary>How the C allocator treats host memory LibTorch frees (<see cref="Runtime.HostMemory"/>); retain by default.</summary>
    public HostMemoryPolicy HostMemory { get; init; } = HostMemoryPolicy.Retain;
}

/// <summary>What <see cref="TorchRuntime.Initialize"/> set up.</summary>
public sealed record TorchRuntimeInfo(Device Device, string? LibTorchFolder, IReadOnlyList<string> LoadedLibraries, int Threads, int PathWorkers = 1)
{
    /// <summary>What the host memory policy did to the C allocator.</summary>
    public HostMemoryInfo HostMemory { get; init; } = new(false, "not configured");
}

/// <summary>A native library or LibTorch folder is missing or cannot be loaded, or the device is not available.</summary>
public sealed class TorchRuntimeException : Exception
{
    public TorchRuntimeException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// Process-wide LibTorch set-up for nodes: loads an external LibTorch folder when one is configured (option or
/// environment variable NASACTORS_LIBTORCH), then the app's libLibTorchSharp.so, applies the host memory policy
/// (<see cref="Runtime.HostMemory"/>), selects the device and sets the thread counts. Call it once, before any other TorchSharp call; later calls with equal options return the first
/// result, calls with other options fail.
/// </summary>
public static class TorchRuntime
{
    public const string LibTorchEnvironmentVariable = "NASACTORS_LIBTORCH";

    /// <summary>Load order of an external LibTorch folder; the CUDA ones are loaded only when present.</summary>
    public static IReadOnlyList<(string File, bool Required)> ExternalLibraries { get; } =
    [
        ("libc10.so", true),
        ("libtorch_cpu.so", true),
        ("libc10_cuda.so", false),
        ("libtorch_cuda.so", false),
        ("libtorch.so", true),
    ];

    private static readonly object Gate = new();
    private static TorchRuntimeInfo? _info;
    private static TorchRuntimeOptions? _options;

    /// <summary>The result of the first successful <see cref="Initialize"/>, or null.</summary>
    public static TorchRuntimeInfo? Current => _info;

    public static TorchRuntimeInfo Initialize(TorchRuntimeOptions? options = null)
    {
        options ??= new TorchRuntimeOptions();
        lock (Gate)
        {
            if (_info != null)
            {
                if (_options != options)
                    throw new TorchRuntimeException($"TorchRuntime is already initialized with {_options}; it cannot be set up again with {options} in the same process.");
                return _info;
            }
            var folder = ResolveLibTorchFolder(options);
            var hostMemory = HostMemory.Configure(options.HostMemory);
            var loaded = new List<string>();
            if (folder != null)
            {
                loaded.AddRange(LoadExternal(folder));
                loaded.Add(LoadLibTorchSharp());
            }
            var device = SelectDevice(options.Device);
            if (options.PathWorkers < 0) throw new TorchRuntimeException($"PathWorkers must be >= 0, got {options.PathWorkers}.");
            var cpu = device.type == DeviceType.CPU;
            var pathWorkers = options.PathWorkers > 0 ? options.PathWorkers : cpu ? Environment.ProcessorCount : 1;
            if (options.Threads > 0) torch.set_num_threads(options.Threads);
            else if (cpu && options.PathWorkers == 0 && pathWorkers > 1) torch.set_num_threads(1);
            if (options.InteropThreads > 0)
            {
                try { torch.set_num_interop_threads(options.InteropThreads); }
                catch (Exception e) { throw new TorchRuntimeException($"Cannot set {options.InteropThreads} inter-op threads (it can be set only once, before any parallel work): {e.Message}", e); }
            }
            _info = new TorchRuntimeInfo(device, folder, loaded, torch.get_num_threads(), pathWorkers) { HostMemory = hostMemory };
            _options = options;
            return _info;
        }
    }

    /// <summary>The external LibTorch folder to use: the option, else the environment variable, else null.</summary>
    public static string? ResolveLibTorchFolder(TorchRuntimeOptions options)
    {
        var folder = !string.IsNullOrWhiteSpace(options.LibTorchFolder)
            ? options.LibTorchFolder
            : Environment.GetEnvironmentVariable(LibTorchEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(folder)) return null;
        var full = Path.GetFullPath(folder);
        var source = !string.IsNullOrWhiteSpace(options.LibTorchFolder) ? "LibTorchFolder option" : $"environment variable {LibTorchEnvironmentVariable}";
        if (!Directory.Exists(full))
            throw new TorchRuntimeException($"LibTorch folder {full} (from the {source}) does not exist.");
        foreach (var (file, required) in ExternalLibraries)
            if (required && !File.Exists(Path.Combine(full, file)))
                throw new TorchRuntimeException($"LibTorch folder {full} (from the {source}) lacks {file}; expected {string.Join(", ", ExternalLibraries.Where(l => l.Required).Select(l => l.File))} (and libc10_cuda.so, libtorch_cuda.so for CUDA).");
        return full;
    }

    private static IEnumerable<string> LoadExternal(string folder)
    {
        var loaded = new List<string>();
        foreach (var (file, required) in ExternalLibraries)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                if (required) throw new TorchRuntimeException($"LibTorch folder {folder} lacks {file}.");
                continue;
            }
            try { NativeLibrary.Load(path); }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                throw new TorchRuntimeException($"Cannot load {path}: {e.Message} (are its dependencies, e.g. the CUDA libraries, on LD_LIBRARY_PATH?)", e);
            }
            loaded.Add(path);
        }
        return loaded;
    }

    /// <summary>Candidate locations of the app's libLibTorchSharp.so, in probing order.</summary>
    public static IEnumerable<string> LibTorchSharpCandidates()
    {
        const string file = "libLibTorchSharp.so";
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? "" }
            .Where(r => r.Length > 0).Distinct();
        foreach (var root in roots)
        {
            yield return Path.Combine(root, file);
            yield return Path.Combine(root, "runtimes", "linux-x64", "native", file);
        }
    }

    private static string LoadLibTorchSharp()
    {
        var candidates = LibTorchSharpCandidates().ToList();
        var path = candidates.FirstOrDefault(File.Exists)
            ?? throw new TorchRuntimeException($"libLibTorchSharp.so not found in the app (looked at {string.Join(", ", candidates)}); build with TorchBackend=external or cpu so the app carries it.");
        try { NativeLibrary.Load(path); }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            throw new TorchRuntimeException($"Cannot load {path}: {e.Message}", e);
        }
        return path;
    }

    /// <summary>Parses a device setting: cpu, cuda, cuda:N or auto.</summary>
    public static Device SelectDevice(string? setting)
    {
        var s = (setting ?? "auto").Trim().ToLowerInvariant();
        if (s == "cpu") return torch.CPU;
        if (s == "auto")
            return TryCuda() ? torch.CUDA : torch.CPU;
        if (s == "cuda" || s.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!TryCuda())
                throw new TorchRuntimeException($"Device '{setting}' asked for, but CUDA is not available (no GPU, or the LibTorch loaded has no CUDA support; set {LibTorchEnvironmentVariable} to a CUDA LibTorch folder).");
            var index = 0;
            if (s.Length > 5 && (!int.TryParse(s.AsSpan(5), out index) || index < 0 || index >= torch.cuda.device_count()))
                throw new TorchRuntimeException($"Device '{setting}': no such CUDA device ({torch.cuda.device_count()} present).");
            return torch.device(DeviceType.CUDA, index);
        }
        throw new TorchRuntimeException($"Device '{setting}' is not known: use cpu, cuda, cuda:N or auto.");
    }

    private static bool TryCuda()
    {
        try
        {
            if (!torch.TryInitializeDeviceType(DeviceType.CUDA)) return false;
            return torch.cuda.is_available();
        }
        catch (Exception)
        {
            return false;
        }
    }
}
