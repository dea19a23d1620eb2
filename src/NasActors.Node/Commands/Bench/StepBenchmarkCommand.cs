using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using NasActors.Core.Spaces.Blocks;
using NasActors.Node.Commands.Engine;
using NasActors.Torch.Data;
using NasActors.Torch.Sampling;
using NasActors.Torch.Supernet;
using NasActors.Torch.Supernet.Families;
using NasActors.Torch.Training;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Bench;

public sealed class StepBenchmarkSettings : EngineSettings
{
    [KnownSpace]
    [CommandOption("--space <SPACE>")]
    [DefaultValue(BlockSpaces.FmnistMbConv)]
    public string Space { get; init; } = BlockSpaces.FmnistMbConv;

    [AtLeastOne(65536)]
    [CommandOption("--batch-size <N>")]
    [DefaultValue(128)]
    public int BatchSize { get; init; } = 128;

    [AtLeastOne]
    [CommandOption("--spos-steps <N>")]
    [Description("Timed SPOS steps per round.")]
    [DefaultValue(30)]
    public int SposSteps { get; init; } = 30;

    [AtLeastOne]
    [CommandOption("--fairnas-steps <N>")]
    [Description("Timed FairNAS steps per round.")]
    [DefaultValue(5)]
    public int FairSteps { get; init; } = 5;

    [NonNegative]
    [CommandOption("--warmup <N>")]
    [DefaultValue(3)]
    public int Warmup { get; init; } = 3;

    [AtLeastOne]
    [CommandOption("--rounds <N>")]
    [Description("Alternating TorchSharp / PyTorch rounds; medians are reported.")]
    [DefaultValue(3)]
    public int Rounds { get; init; } = 3;

    public const string ChannelsLastLayout = "channels-last";
    public const string ContiguousLayout = "contiguous";

    [OneOf(ChannelsLastLayout, ContiguousLayout)]
    [CommandOption("--layout <LAYOUT>")]
    [Description("Feature map layout on a CPU, on both sides: channels-last (from the stem's first convolution's output on, as the trainer runs) or contiguous (NCHW).")]
    [DefaultValue(ChannelsLastLayout)]
    public string Layout { get; init; } = ChannelsLastLayout;

    public bool ChannelsLast => Layout == ChannelsLastLayout;

    [PathText]
    [CommandOption("--python <EXE>")]
    [Description("Python interpreter with PyTorch (Debian: /usr/bin/python3 with python3-torch).")]
    [DefaultValue("/usr/bin/python3")]
    public string Python { get; init; } = "/usr/bin/python3";

    // The comparison is of the same step: one path after another on the same threads, as the PyTorch reference runs
    // it. Path workers (nas train) change how a step is scheduled, not its work, and are measured there.
    public override ValidationResult Validate() =>
        PathWorkers > 1 ? ValidationResult.Error($"--path-workers {PathWorkers}: benchmark-step times one path at a time, as its PyTorch reference does; measure path workers with nas train --path-workers.")
        : base.Validate();
}

/// <summary>
/// <c>nas benchmark-step</c>: supernet training throughput of SPOS and FairNAS steps in TorchSharp (the project's own
/// trainer, data loading included) and in PyTorch (the same network and step, the same batches made the same way),
/// taking turns in the same run on the same machine, PyTorch both as installed and with this process's allocator
/// settings; prints the ratios. Run on demand, never in CI.
/// </summary>
public sealed class StepBenchmarkCommand : Command<StepBenchmarkSettings>
{
    public override int Execute(CommandContext context, StepBenchmarkSettings settings, CancellationToken cancellation)
    {
        var runtime = settings.InitializeTorch();
        var space = BlockSpaces.Get(settings.Space);
        var data = SearchData.Load(DatasetCatalog.FashionMnistEmbedded, null, SearchData.DefaultValidationFraction, 1);
        var threads = TorchSharp.torch.get_num_threads();
        var specFile = Path.Combine(Path.GetTempPath(), $"nasactors-step-{Environment.ProcessId}.json");
        var imagesFile = Path.Combine(Path.GetTempPath(), $"nasactors-step-{Environment.ProcessId}-images.gz");
        using (var resource = typeof(EmbeddedFashionMnist).Assembly.GetManifestResourceStream("NasActors.Torch.FashionMnistSubset.train-images-idx3-ubyte.gz")
                              ?? throw new InvalidOperationException("embedded Fashion-MNIST images are missing"))
        using (var file = File.Create(imagesFile)) resource.CopyTo(file);
        File.WriteAllText(specFile, Spec(space, settings, threads, runtime.Device.type == TorchSharp.DeviceType.CUDA ? "cuda" : "cpu", imagesFile).ToJsonString());
        // PyTorch runs twice a round: as installed (the C library's allocator defaults), and with the allocator
        // settings this process applied (through glibc's MALLOC_* variables), the like-for-like comparison.
        var engines = new List<(string Name, IReadOnlyDictionary<string, string>? Environment, string HostMemory)>
        {
            (TorchSharpEngine, null, runtime.HostMemory.Description),
            (PyTorchEngine, new Dictionary<string, string>(), "as installed (this environment, no allocator settings added)"),
        };
        if (runtime.HostMemory.Applied)
            engines.Add((PyTorchSameEngine, runtime.HostMemory.EnvironmentEquivalent,
                "NasActors' settings, through " + string.Join(", ", runtime.HostMemory.EnvironmentEquivalent.Select(kv => $"{kv.Key}={kv.Value}"))));
        var rows = new List<(string Engine, string Method, double ImagesPerSecond, double SecondsPerStep)>();
        try
        {
            for (var round = 0; round < settings.Rounds; round++)
            {
                cancellation.ThrowIfCancellationRequested();
                // The engines take turns going first, so a drift of the machine's speed within a round favours none.
                for (var k = 0; k < engines.Count; k++)
                {
                    var engine = engines[(round + k) % engines.Count];
                    rows.AddRange(engine.Environment is null
                        ? TorchSharpRound(space, data, settings, runtime.Device)
                        : PyTorchRound(engine.Name, settings.Python, specFile, engine.Environment));
                }
                var line = $"round {round + 1}/{settings.Rounds}: " +
                    string.Join(", ", rows.Skip(rows.Count - 2 * engines.Count).Select(r => $"{r.Engine} {r.Method} {r.ImagesPerSecond:F0} img/s"));
                // In JSON mode the rounds go to standard error: the document stays the only output, a cut-short run's log shows its rounds.
                if (settings.Json) Console.Error.WriteLine(line);
                else AnsiConsole.WriteLine(line);
            }
        }
        finally
        {
            File.Delete(specFile);
            File.Delete(imagesFile);
        }
        double Median(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v[v.Length / 2];
        }
        var m = space.ChoiceCounts[0];
        var result = new Dictionary<string, double>();
        foreach (var (engine, _, _) in engines)
            foreach (var method in new[] { "spos", "fairnas" })
            {
                var mine = rows.Where(r => r.Engine == engine && r.Method == method).ToArray();
                result[$"{engine}.{method}.imagesPerSecond"] = Median(mine.Select(r => r.ImagesPerSecond));
                result[$"{engine}.{method}.secondsPerStep"] = Median(mine.Select(r => r.SecondsPerStep));
            }
        foreach (var (reference, _, _) in engines.Skip(1))
            foreach (var method in new[] { "spos", "fairnas" })
            {
                result[$"ratio.{method}.torchsharpOver.{reference}"] =
                    result[$"{TorchSharpEngine}.{method}.imagesPerSecond"] / result[$"{reference}.{method}.imagesPerSecond"];
                // The same ratio within each round (the engines measured within the same minute), then the median over
                // rounds: on a shared machine whose speed drifts between rounds this is the steadier figure.
                var perRound = rows.Chunk(2 * engines.Count).Select(round =>
                    round.Single(r => r.Engine == TorchSharpEngine && r.Method == method).ImagesPerSecond /
                    round.Single(r => r.Engine == reference && r.Method == method).ImagesPerSecond);
                result[$"ratio.{method}.torchsharpOver.{reference}.pairedMedian"] = Median(perRound);
            }
        foreach (var (engine, _, _) in engines)
            result[$"ratio.{engine}.fairnasStepOverMSposSteps"] = result[$"{engine}.fairnas.secondsPerStep"] / (m * result[$"{engine}.spos.secondsPerStep"]);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { space = space.Name, device = runtime.Device.ToString(), threads, batchSize = settings.BatchSize, layout = settings.Layout,
                hostMemory = engines.ToDictionary(e => e.Name, e => e.HostMemory), results = result }, JsonOutput.Options));
            return 0;
        }
        var table = new Table().AddColumns("measure", "value");
        foreach (var (k, v) in result) table.AddRow(k, k.StartsWith("ratio") ? $"{v:F3}" : k.EndsWith("Step") ? $"{v * 1000:F1} ms" : $"{v:F0}");
        AnsiConsole.MarkupLine($"{space.Name}, batch {settings.BatchSize}, {threads} threads, {runtime.Device}, {settings.Layout}, medians of {settings.Rounds} rounds");
        foreach (var (engine, _, hostMemory) in engines) AnsiConsole.MarkupLine(Markup.Escape($"{engine}: host memory {hostMemory}"));
        AnsiConsole.Write(table);
        return 0;
    }

    private static IEnumerable<(string, string, double, double)> TorchSharpRound(BlockSpace space, SearchData data, StepBenchmarkSettings s, TorchSharp.torch.Device device)
    {
        foreach (var (method, steps) in new[] { (PathSamplers.Spos, s.SposSteps), (PathSamplers.FairNas, s.FairSteps) })
        {
            var options = new SupernetTrainingOptions { Method = method, Steps = 1_000_000, BatchSize = s.BatchSize, LearningRate = 0.05 };
            using var trainer = new SupernetTrainer(space, data.TrainLoader(s.BatchSize, 1), options, device, pathWorkers: 1);
            trainer.Network.ChannelsLastOnCpu = s.ChannelsLast;
            for (var i = 0; i < s.Warmup; i++) trainer.TrainStep();
            if (device.type == TorchSharp.DeviceType.CUDA) TorchSharp.torch.cuda.synchronize();
            var clock = Stopwatch.StartNew();
            long images = 0;
            for (var i = 0; i < steps; i++) images += trainer.TrainStep().Images;
            if (device.type == TorchSharp.DeviceType.CUDA) TorchSharp.torch.cuda.synchronize();
            yield return (TorchSharpEngine, method, images / clock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds / steps);
        }
    }

    private const string TorchSharpEngine = "torchsharp";
    private const string PyTorchEngine = "pytorch";
    private const string PyTorchSameEngine = "pytorchSameMalloc";

    private static IEnumerable<(string, string, double, double)> PyTorchRound(string engine, string python, string specFile, IReadOnlyDictionary<string, string> environment)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Commands", "Bench", "pytorch_supernet_step.py");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(specFile);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {python}");
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{python} {script} failed ({process.ExitCode}): {error.Trim()}");
        var json = JsonNode.Parse(output.Trim().Split('\n')[^1])!;
        foreach (var method in new[] { "spos", "fairnas" })
            yield return (engine, method, json[method]!["imagesPerSecond"]!.GetValue<double>(), json[method]!["secondsPerStep"]!.GetValue<double>());
    }

    private static long SupernetParameters(BlockSpace space)
    {
        using var network = BlockNetwork.Supernet(space, initSeed: 1);
        return network.parameters().Sum(p => p.numel());
    }

    private static JsonObject Spec(BlockSpace space, StepBenchmarkSettings s, int threads, string device, string images)
    {
        var spec = new JsonObject
        {
            ["input"] = new JsonArray(space.Input.Channels, space.Input.Height, space.Input.Width),
            ["classes"] = space.Classes, ["threads"] = threads, ["device"] = device, ["images"] = images,
            ["batchSize"] = s.BatchSize, ["sposSteps"] = s.SposSteps, ["fairSteps"] = s.FairSteps, ["warmup"] = s.Warmup,
            ["lr"] = 0.05, ["weightDecay"] = 4e-5, ["channelsLast"] = s.ChannelsLast,
            // The script checks its network against these (the parameter count of the trainer's supernet and the size
            // of the last feature map), so a space whose definition it does not mirror fails loudly.
            ["parameters"] = SupernetParameters(space),
        };
        // The family writes its own shapes (one place for every consumer of the family dispatch).
        foreach (var (key, value) in SpaceFamilies.Of(space).ReferenceSpec(space).ToList()) spec[key] = value?.DeepClone();
        return spec;
    }
}
