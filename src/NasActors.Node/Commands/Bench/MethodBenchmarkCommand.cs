using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using NasActors.Cluster.Local;
using NasActors.Core.Spaces.Blocks;
using NasActors.Node.Commands.Engine;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Bench;

public sealed class MethodBenchmarkSettings : SupernetTrainingSettings
{
    [KnownTrainingMethods]
    [CommandOption("--methods <LIST>")]
    [Description("Comma-separated training methods, each run in a process of its own; the first is the reference of the ratios unless spos is listed. all: every registered method (spnas only with --latency-table, which it needs).")]
    [DefaultValue(AllMethods)]
    public string Methods { get; init; } = AllMethods;

    public const string AllMethods = "all";

    [PathText]
    [CommandOption("--latency-table <FILE>")]
    [Description("Latency table (nas latency-table) for spnas, which needs one; the other methods run without.")]
    public string? LatencyTable { get; init; }

    protected override (long Steps, int BatchSize) Defaults => (20, 64);

    public override ValidationResult Validate() =>
        LatencyTable is null && MethodList.Contains("spnas") ? ValidationResult.Error("--methods spnas: needs --latency-table (--methods all leaves spnas out without one)")
        : base.Validate();

    /// <summary>The methods to run: the list, with <c>all</c> standing for every registered method (spnas only when
    /// there is a latency table), each once in order of first mention.</summary>
    public IReadOnlyList<string> MethodList => Methods.Split(',').Select(m => m.Trim().ToLowerInvariant())
        .SelectMany(m => m == AllMethods
            ? NasActors.Torch.Methods.TrainingMethods.Names.Where(n => LatencyTable is not null || n != NasActors.Torch.Methods.SinglePathNas.SinglePathNasMethod.MethodName)
            : [m])
        .Distinct().ToList();
}

/// <summary>Training methods of <c>nas benchmark-methods</c>.</summary>
public sealed class KnownTrainingMethodsAttribute() : ListOfAttribute
{
    protected override IReadOnlyList<string> Allowed => [.. NasActors.Torch.Methods.TrainingMethods.Names, MethodBenchmarkSettings.AllMethods];
}

/// <summary>
/// <c>nas benchmark-methods</c>: each training method for the same steps at the same batch size, each in a child
/// <c>nas train</c> process of its own so that its peak resident memory (the child's VmHWM) is its own; prints
/// images/s and peak RSS side by side with ratios to SPOS, and DARTS/SPOS beside m and ProxylessNAS/SPOS beside 1.5.
/// </summary>
public sealed class MethodBenchmarkCommand : AsyncCommand<MethodBenchmarkSettings>
{
    public sealed record Result(string Method, double ImagesPerSecond, long PeakResidentBytes, long ResidentBytesBefore, double Seconds)
    {
        /// <summary>The peak above what the process held before the supernet was built: the training's own memory.</summary>
        public long TrainingBytes => PeakResidentBytes - ResidentBytesBefore;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, MethodBenchmarkSettings settings, CancellationToken cancellation)
    {
        var space = BlockSpaces.Get(settings.SpaceOrDefault);
        var nasDll = Assembly.GetEntryAssembly()!.Location;
        var table = settings.LatencyTable is { } t ? Path.GetFullPath(t) : null;
        if (table is not null && !File.Exists(table)) throw new UsageException($"--latency-table '{settings.LatencyTable}': the file does not exist");
        var root = Path.Combine(Path.GetTempPath(), "nas-benchmark-methods-" + Guid.NewGuid().ToString("N"));
        var results = new List<Result>();
        if (table is null && settings.MethodList.Count < NasActors.Torch.Methods.TrainingMethods.Names.Count
            && settings.Methods.Split(',').Any(m => m.Trim().Equals(MethodBenchmarkSettings.AllMethods, StringComparison.OrdinalIgnoreCase)))
            Console.Error.WriteLine("nas: note: spnas left out of --methods all: it needs --latency-table");
        try
        {
            foreach (var method in settings.MethodList)
            {
                var arguments = new List<string>
                {
                    "train", "--method", method, "--space", space.Name, "--dataset", settings.DatasetOrDefault, "--steps", settings.StepsOrDefault.ToString(),
                    "--batch-size", settings.BatchSizeOrDefault.ToString(), "--seed", settings.SeedOrDefault.ToString(), "--device", settings.Device,
                    "--threads", settings.Threads.ToString(), "--path-workers", settings.PathWorkers.ToString(),
                    "--host-memory", settings.HostMemory, "--json", "-o", "checkpoints",
                };
                if (settings.LibTorch is { } lib) arguments.AddRange(["--libtorch", Path.GetFullPath(lib)]);
                if (settings.DataDir is { } dataDir) arguments.AddRange(["--data-dir", Path.GetFullPath(dataDir)]);
                if (settings.MeanGradients) arguments.Add("--mean-gradients");
                if (method == "spnas" && table is not null) arguments.AddRange(["--latency-table", table]);
                if (!settings.Json) AnsiConsole.MarkupLine($"[grey]{method}: {settings.StepsOrDefault} steps at batch {settings.BatchSizeOrDefault} in a child process...[/]");
                using var child = new NasProcess(nasDll, Path.Combine(root, method), 0, null, arguments);
                var code = await child.WaitForExitAsync(TimeSpan.FromHours(2));
                if (code != 0) throw new InvalidOperationException($"nas train --method {method} ended with exit code {code}: {child.StandardError.Trim()}");
                using var document = JsonDocument.Parse(child.StandardOutput);
                var r = document.RootElement;
                results.Add(new Result(method, r.GetProperty("imagesPerSecond").GetDouble(),
                    Bytes(r, "peakResidentBytes"), Bytes(r, "residentBytesBeforeTraining"),
                    r.GetProperty("seconds").GetDouble()));
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        static long Bytes(JsonElement e, string name) =>
            e.GetProperty(name).ValueKind == JsonValueKind.Number ? e.GetProperty(name).GetInt64()
            : throw new InvalidOperationException($"nas train did not report {name} (no /proc/self/status on this system?)");
        var reference = results.FirstOrDefault(r => r.Method == "spos") ?? results[0];
        var m = space.ChoiceCounts.Max();
        double MemoryRatio(string method) => results.FirstOrDefault(r => r.Method == method) is { } x
            ? (double)x.PeakResidentBytes / reference.PeakResidentBytes : double.NaN;
        double TrainingRatio(string method) => results.FirstOrDefault(r => r.Method == method) is { } x
            ? (double)x.TrainingBytes / reference.TrainingBytes : double.NaN;
        var load = LatencyTableCommand.LoadAverage();
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                space = space.Name, batchSize = settings.BatchSizeOrDefault, steps = settings.StepsOrDefault, device = settings.Device, reference = reference.Method,
                choicesPerLayer = m, loadAverage = load,
                methods = results.Select(r => new
                {
                    method = r.Method, imagesPerSecond = r.ImagesPerSecond, peakResidentBytes = r.PeakResidentBytes, residentBytesBeforeTraining = r.ResidentBytesBefore,
                    trainingBytes = r.TrainingBytes, seconds = r.Seconds,
                    speedRatio = r.ImagesPerSecond / reference.ImagesPerSecond, memoryRatio = (double)r.PeakResidentBytes / reference.PeakResidentBytes,
                    trainingMemoryRatio = (double)r.TrainingBytes / reference.TrainingBytes,
                }),
                dartsMemoryRatio = MemoryRatio("darts"), proxylessNasMemoryRatio = MemoryRatio("proxylessnas"),
                dartsTrainingMemoryRatio = TrainingRatio("darts"), proxylessNasTrainingMemoryRatio = TrainingRatio("proxylessnas"),
            }, JsonOutput.Options));
            return 0;
        }
        var grid = new Table().AddColumns("method", "images/s", $"x {reference.Method}", "peak RSS (MiB)", $"x {reference.Method}",
            "peak above start (MiB)", $"x {reference.Method}", "seconds");
        foreach (var r in results)
            grid.AddRow(r.Method, $"{r.ImagesPerSecond:F1}", $"{r.ImagesPerSecond / reference.ImagesPerSecond:F2}",
                $"{r.PeakResidentBytes / 1048576.0:F0}", $"{(double)r.PeakResidentBytes / reference.PeakResidentBytes:F2}",
                $"{r.TrainingBytes / 1048576.0:F0}", $"{(double)r.TrainingBytes / reference.TrainingBytes:F2}", $"{r.Seconds:F1}");
        AnsiConsole.Write(grid);
        AnsiConsole.MarkupLine("Peak RSS: the child's VmHWM at its end; above start: less its resident memory before the supernet was built (runtime, LibTorch, data).");
        AnsiConsole.MarkupLine($"{space.Name}, batch {settings.BatchSizeOrDefault}, {settings.StepsOrDefault} steps per method on {settings.Device}; load average {Markup.Escape(load ?? "unknown")}");
        if (!double.IsNaN(MemoryRatio("darts")))
            AnsiConsole.MarkupLine($"DARTS / {reference.Method} peak RSS: {MemoryRatio("darts"):F2}, above start {TrainingRatio("darts"):F2} (m = {m} choices per layer)");
        if (!double.IsNaN(MemoryRatio("proxylessnas")))
            AnsiConsole.MarkupLine($"ProxylessNAS / {reference.Method} peak RSS: {MemoryRatio("proxylessnas"):F2}, above start {TrainingRatio("proxylessnas"):F2} " +
                                   (MemoryRatio("proxylessnas") <= 1.5 ? "[green]<= 1.5[/]" : "[red]> 1.5[/]"));
        return 0;
    }
}
