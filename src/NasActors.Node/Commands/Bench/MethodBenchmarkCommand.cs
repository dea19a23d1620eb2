using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using NasActors.Cluster.Local;
using NasActors.Core.Spaces.Blocks;
using NasActors.Node.Commands.Engine;
using NasActors.Node.Commands.Input;
using NasActors.Torch.Data;
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

    [RangeCheck(1, 86400)]
    [CommandOption("--method-timeout <SECONDS>")]
    [Description("A method's child process is ended after this long and reported as timed out; the others still run.")]
    [DefaultValue(7200.0)]
    public double MethodTimeout { get; init; } = 7200;

    [CommandOption("--exclude-first-step")]
    [Description("images/s over the steps after each method's first (which pays for lazy initialisation on a GPU: cuDNN/cuBLAS handles, kernel selection); needs --steps 2 or more.")]
    public bool ExcludeFirstStep { get; init; }

    [PathText(Output = OutputPath.File)]
    [CommandOption("--markdown <FILE>")]
    [Description("Also write the table and the run's conditions as Markdown to this file (for docs/).")]
    public string? Markdown { get; init; }

    [PathText]
    [CommandOption("--latency-table <FILE>")]
    [Description("Latency table (nas latency-table) for spnas, which needs one; the other methods run without.")]
    public string? LatencyTable { get; init; }

    protected override (long Steps, int BatchSize) Defaults => (20, 64);

    public override ValidationResult Validate() =>
        LatencyTable is null && MethodList.Contains("spnas") ? ValidationResult.Error("--methods spnas: needs --latency-table (--methods all leaves spnas out without one)")
        : ExcludeFirstStep && StepsOrDefault < 2 ? ValidationResult.Error($"--exclude-first-step: needs --steps 2 or more, got {StepsOrDefault}")
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

        /// <summary>Peak GPU memory (<see cref="GpuMemoryProbe"/>); null on a CPU or without nvidia-smi.</summary>
        public GpuMemoryProbe.Reading? Gpu { get; init; }

        /// <summary>Why the method has no figures (its child failed or ran out of time); null when it has.</summary>
        public string? Failure { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, MethodBenchmarkSettings settings, CancellationToken cancellation)
    {
        var space = BlockSpaces.Get(settings.SpaceOrDefault);
        // A self-contained publish (deploy/gpu: no dotnet on that machine) runs its own executable; otherwise nas.dll through dotnet.
        var nasDll = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) is not "dotnet"
            ? self : Assembly.GetEntryAssembly()!.Location;
        var gpu = settings.Device.Trim().ToLowerInvariant() == "cpu" ? -1 : GpuMemoryProbe.GpuIndex(settings.Device);
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
                else Console.Error.WriteLine($"{method}: {settings.StepsOrDefault} steps at batch {settings.BatchSizeOrDefault} in a child process...");
                // The device's use before the child: the base of its rise where the driver does not list processes.
                var deviceBefore = gpu >= 0 ? GpuMemoryProbe.DeviceUsedBytes(gpu) : null;
                using var child = new NasProcess(nasDll, Path.Combine(root, method), 0, null, arguments);
                var probe = deviceBefore is { } before ? GpuMemoryProbe.Start(child.ProcessId, gpu, before) : null;
                int code;
                try { code = await child.WaitForExitAsync(TimeSpan.FromSeconds(settings.MethodTimeout), cancellation); } // Ctrl+C: the child ends with it
                catch (TimeoutException)
                {
                    child.KillHard();
                    if (probe is not null) await probe.DisposeAsync();
                    results.Add(new Result(method, double.NaN, 0, 0, settings.MethodTimeout) { Failure = $"timed out after {settings.MethodTimeout:0} s" });
                    // Where it was (its progress lines): slow or stuck, for the log of a cut-short GPU run.
                    var tail = string.Join(" | ", child.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(3));
                    Console.Error.WriteLine($"nas: {method}: timed out after {settings.MethodTimeout:0} s; the other methods go on; its last lines: {tail}");
                    continue;
                }
                var reading = probe is null ? null : await probe.StopAsync();
                if (code != 0)
                {
                    var why = child.StandardError.Trim().Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
                    results.Add(new Result(method, double.NaN, 0, 0, 0) { Failure = $"exit code {code}: {why}" });
                    Console.Error.WriteLine($"nas: nas train --method {method} ended with exit code {code}: {child.StandardError.Trim()}");
                    continue;
                }
                using var document = JsonDocument.Parse(child.StandardOutput);
                var r = document.RootElement;
                results.Add(new Result(method, r.GetProperty(settings.ExcludeFirstStep ? "imagesPerSecondAfterFirstStep" : "imagesPerSecond").GetDouble(),
                    Bytes(r, "peakResidentBytes"), Bytes(r, "residentBytesBeforeTraining"),
                    r.GetProperty("seconds").GetDouble()) { Gpu = reading });
                // Written after every method, so a run cut short by a time limit keeps what it measured.
                if (settings.Markdown is { } partial) WriteMarkdown(partial, settings, space, results, load: null);
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        static long Bytes(JsonElement e, string name) =>
            e.GetProperty(name).ValueKind == JsonValueKind.Number ? e.GetProperty(name).GetInt64()
            : throw new InvalidOperationException($"nas train did not report {name} (no /proc/self/status on this system?)");
        var done = results.Where(r => r.Failure is null).ToList();
        if (done.Count == 0) throw new InvalidOperationException("no method finished: " + string.Join("; ", results.Select(r => $"{r.Method}: {r.Failure}")));
        var reference = done.FirstOrDefault(r => r.Method == "spos") ?? done[0];
        var m = space.ChoiceCounts.Max();
        Result? Done(string method) => done.FirstOrDefault(r => r.Method == method);
        double MemoryRatio(string method) => Done(method) is { } x ? (double)x.PeakResidentBytes / reference.PeakResidentBytes : double.NaN;
        double TrainingRatio(string method) => Done(method) is { } x ? (double)x.TrainingBytes / reference.TrainingBytes : double.NaN;
        double GpuRatio(Result x) => x.Gpu?.PeakBytes is { } a && reference.Gpu?.PeakBytes is { } b && b > 0 ? (double)a / b : double.NaN;
        double GpuRatioOf(string method) => Done(method) is { } x ? GpuRatio(x) : double.NaN;
        var withGpu = done.Any(r => r.Gpu?.PeakBytes is not null);
        var load = LatencyTableCommand.LoadAverage();
        var data = DatasetCatalog.ForSpace(settings.DatasetOrDefault, space);
        if (settings.Markdown is { } markdownFile) WriteMarkdown(markdownFile, settings, space, results, load);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                space = space.Name, dataset = data, batchSize = settings.BatchSizeOrDefault, steps = settings.StepsOrDefault, device = settings.Device, reference = reference.Method,
                choicesPerLayer = m, loadAverage = load,
                methods = results.Select(r => new
                {
                    method = r.Method, failure = r.Failure,
                    imagesPerSecond = Finite(r.ImagesPerSecond), peakResidentBytes = r.Failure is null ? r.PeakResidentBytes : (long?)null,
                    residentBytesBeforeTraining = r.Failure is null ? r.ResidentBytesBefore : (long?)null,
                    trainingBytes = r.Failure is null ? r.TrainingBytes : (long?)null, seconds = r.Seconds,
                    speedRatio = Finite(r.ImagesPerSecond / reference.ImagesPerSecond),
                    memoryRatio = r.Failure is null ? (double)r.PeakResidentBytes / reference.PeakResidentBytes : (double?)null,
                    trainingMemoryRatio = r.Failure is null ? (double)r.TrainingBytes / reference.TrainingBytes : (double?)null,
                    peakGpuBytes = r.Gpu?.PeakBytes, gpuMemorySource = r.Gpu?.Source, gpuProcessFirstBytes = r.Gpu?.ProcessFirstBytes,
                    gpuDevicePeakAboveBaselineBytes = r.Gpu?.DevicePeakAboveBaselineBytes, gpuSamples = r.Gpu?.Samples,
                    gpuMemoryRatio = Finite(GpuRatio(r)),
                }),
                dartsMemoryRatio = Finite(MemoryRatio("darts")), proxylessNasMemoryRatio = Finite(MemoryRatio("proxylessnas")),
                dartsTrainingMemoryRatio = Finite(TrainingRatio("darts")), proxylessNasTrainingMemoryRatio = Finite(TrainingRatio("proxylessnas")),
                dartsGpuMemoryRatio = Finite(GpuRatioOf("darts")), proxylessNasGpuMemoryRatio = Finite(GpuRatioOf("proxylessnas")),
            }, JsonOutput.Options));
            return done.Count == results.Count ? 0 : 1;
        }
        var grid = new Table().AddColumns("method", "images/s", $"x {reference.Method}", "peak RSS (MiB)", $"x {reference.Method}",
            "peak above start (MiB)", $"x {reference.Method}", "seconds");
        if (withGpu) grid.AddColumns("peak GPU (MiB)", $"x {reference.Method}");
        foreach (var r in results)
        {
            if (r.Failure is not null)
            {
                grid.AddRow([Markup.Escape(r.Method), .. Enumerable.Repeat("-", 6), $"[red]{Markup.Escape(r.Failure)}[/]", .. withGpu ? new[] { "-", "-" } : []]);
                continue;
            }
            string[] row = [r.Method, $"{r.ImagesPerSecond:F1}", $"{r.ImagesPerSecond / reference.ImagesPerSecond:F2}",
                $"{r.PeakResidentBytes / 1048576.0:F0}", $"{(double)r.PeakResidentBytes / reference.PeakResidentBytes:F2}",
                $"{r.TrainingBytes / 1048576.0:F0}", $"{(double)r.TrainingBytes / reference.TrainingBytes:F2}", $"{r.Seconds:F1}"];
            grid.AddRow(withGpu ? [.. row, r.Gpu?.PeakBytes is { } g ? $"{g / 1048576.0:F0}" : "-", Ratio(GpuRatio(r))] : row);
        }
        AnsiConsole.Write(grid);
        AnsiConsole.MarkupLine("Peak RSS: the child's VmHWM at its end; above start: less its resident memory before the supernet was built (runtime, LibTorch, data).");
        if (withGpu) AnsiConsole.MarkupLine($"Peak GPU: {Markup.Escape(done.First(r => r.Gpu?.PeakBytes is not null).Gpu!.Source)}, sampled every {GpuMemoryProbe.Every.TotalMilliseconds:0} ms (CUDA context and the caching allocator's reserve included).");
        AnsiConsole.MarkupLine($"{space.Name} on {Markup.Escape(data)}, batch {settings.BatchSizeOrDefault}, {settings.StepsOrDefault} steps per method on {settings.Device}; load average {Markup.Escape(load ?? "unknown")}");
        if (!double.IsNaN(MemoryRatio("darts")))
            AnsiConsole.MarkupLine($"DARTS / {reference.Method} peak RSS: {MemoryRatio("darts"):F2}, above start {TrainingRatio("darts"):F2}" +
                                   (withGpu ? $", peak GPU {Ratio(GpuRatioOf("darts"))}" : "") + $" (m = {m} choices per layer)");
        if (!double.IsNaN(MemoryRatio("proxylessnas")))
            AnsiConsole.MarkupLine($"ProxylessNAS / {reference.Method} peak RSS: {MemoryRatio("proxylessnas"):F2}, above start {TrainingRatio("proxylessnas"):F2}" +
                                   (withGpu ? $", peak GPU {Ratio(GpuRatioOf("proxylessnas"))}" : "") + " " +
                                   (MemoryRatio("proxylessnas") <= 1.5 ? "[green]<= 1.5[/]" : "[red]> 1.5[/]"));
        return done.Count == results.Count ? 0 : 1;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
    private static string Ratio(double v) => double.IsFinite(v) ? $"{v:F2}" : "-";

    /// <summary>The table as Markdown, with the conditions of the run, for pasting under docs/; only finished methods
    /// are written (a partial table while the run goes on).</summary>
    private static void WriteMarkdown(string file, MethodBenchmarkSettings settings, NasActors.Core.Spaces.Blocks.BlockSpace space,
        IReadOnlyList<Result> results, string? load)
    {
        var done = results.Where(r => r.Failure is null).ToList();
        if (done.Count == 0) return;
        var reference = done.FirstOrDefault(r => r.Method == "spos") ?? done[0];
        var withGpu = done.Any(r => r.Gpu?.PeakBytes is not null);
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        string Ratio(double v) => double.IsFinite(v) ? v.ToString("F2", ci) : "-";
        double Of(string method, Func<Result, double> f) => done.FirstOrDefault(r => r.Method == method) is { } x ? f(x) : double.NaN;
        double Gpu(Result x) => x.Gpu?.PeakBytes is { } a && reference.Gpu?.PeakBytes is { } c && c > 0 ? (double)a / c : double.NaN;
        var b = new System.Text.StringBuilder();
        b.AppendLine($"`nas benchmark-methods --space {space.Name} --dataset {settings.DatasetOrDefault} --batch-size {settings.BatchSizeOrDefault} --steps {settings.StepsOrDefault} --device {settings.Device} --methods {settings.Methods}" +
                     (settings.ExcludeFirstStep ? " --exclude-first-step" : "") + "`");
        b.AppendLine();
        b.AppendLine($"Data {DatasetCatalog.ForSpace(settings.DatasetOrDefault, space)}; {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC; load average {load ?? LatencyTableCommand.LoadAverage() ?? "unknown"}; " +
                     $"reference {reference.Method}; images/s {(settings.ExcludeFirstStep ? "after each method's first step" : "over all steps")}." +
                     (withGpu ? $" Peak GPU: {done.First(r => r.Gpu?.PeakBytes is not null).Gpu!.Source}, sampled every {GpuMemoryProbe.Every.TotalMilliseconds:0} ms (CUDA context and caching-allocator reserve included)." : ""));
        b.AppendLine();
        var x = $"x {reference.Method}";
        b.AppendLine($"| method | images/s | {x} | peak RSS (MiB) | {x} | peak above start (MiB) | {x} | seconds |" + (withGpu ? $" peak GPU (MiB) | {x} |" : ""));
        b.AppendLine("|---|---|---|---|---|---|---|---|" + (withGpu ? "---|---|" : ""));
        foreach (var r in results)
        {
            if (r.Failure is not null)
            {
                b.AppendLine($"| {r.Method} | - | - | - | - | - | - | {r.Failure.Replace('|', '/')} |" + (withGpu ? " - | - |" : ""));
                continue;
            }
            b.AppendLine(string.Create(ci,
                $"| {r.Method} | {r.ImagesPerSecond:F1} | {r.ImagesPerSecond / reference.ImagesPerSecond:F2} | {r.PeakResidentBytes / 1048576.0:F0} | {(double)r.PeakResidentBytes / reference.PeakResidentBytes:F2} | {r.TrainingBytes / 1048576.0:F0} | {(double)r.TrainingBytes / reference.TrainingBytes:F2} | {r.Seconds:F1} |")
                + (withGpu ? $" {(r.Gpu?.PeakBytes is { } g ? (g / 1048576.0).ToString("F0", ci) : "-")} | {Ratio(Gpu(r))} |" : ""));
        }
        b.AppendLine();
        foreach (var (method, name) in new[] { ("darts", "DARTS"), ("proxylessnas", "ProxylessNAS") })
            if (done.Any(r => r.Method == method))
                b.AppendLine($"{name} / {reference.Method}: peak RSS {Ratio(Of(method, r => (double)r.PeakResidentBytes / reference.PeakResidentBytes))}, " +
                             $"above start {Ratio(Of(method, r => (double)r.TrainingBytes / reference.TrainingBytes))}" +
                             (withGpu ? $", peak GPU {Ratio(Of(method, Gpu))}" : "") + (method == "darts" ? $" (m = {space.ChoiceCounts.Max()} choices per layer)." : "."));
        if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder) Directory.CreateDirectory(folder);
        File.WriteAllText(file, b.ToString());
    }
}
