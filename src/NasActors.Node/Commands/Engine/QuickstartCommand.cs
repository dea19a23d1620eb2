using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Node.Commands.Nodes;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public sealed class QuickstartSettings : SupernetTrainingSettings
{
    [AtLeastOne]
    [CommandOption("--candidates <N>")]
    [Description("Architectures scored with inherited weights (default: the spec's budget).")]
    public int? Candidates { get; init; }

    [PathText(Output = OutputPath.Folder)]
    [CommandOption("-o|--out <FOLDER>")]
    [DefaultValue("runs/quickstart")]
    public string Out { get; init; } = "runs/quickstart";
}

/// <summary>
/// <c>nas quickstart</c>, through the actor system: starts an in-process node (hocon/quickstart.conf), submits the
/// search of hocon/specs/quickstart.conf (the preset: sized to finish in minutes on two CPU cores), the supernet-trainer actor trains the FairNAS
/// supernet on the shipped Fashion-MNIST subset, the search actor runs evolution with evaluator actors scoring by
/// inherited weights, and the progress and the top-5 are printed. Everything is journaled under the output folder.
/// </summary>
public sealed class QuickstartCommand : AsyncCommand<QuickstartSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, QuickstartSettings settings, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var runtime = settings.InitializeTorch();
        var spec = Spec(settings);
        var id = $"quickstart-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        var outFolder = Path.GetFullPath(settings.Out);
        if (!settings.Json)
            AnsiConsole.MarkupLine($"[bold]NasActors quickstart[/] (actor system): search [bold]{id}[/], FairNAS supernet of {spec.Space} on {spec.Dataset}, " +
                                   $"{spec.Training.Steps} steps, then {spec.Controller} with budget {spec.Budget}; {runtime.Device}, {runtime.Threads} threads");
        await using var node = await InProcessNode.StartAsync(outFolder, ["quickstart.conf"],
            settings.DataDir is { } dataDir ? [$"nas.data-folder = \"{Path.GetFullPath(dataDir)}\""] : [], cancellation);
        if (node.Dashboard is { } dashboard)
            (settings.Json ? Console.Error : Console.Out).WriteLine($"Dashboard: {dashboard}#/search/{id} (open it while the search runs)");
        var end = await node.RunSearchAsync(id, spec, Printer(settings.Json, spec.Training.Steps), cancellation);
        if (await node.AskAsync(new SearchQueries.GetSearchResults(id), TimeSpan.FromSeconds(30), cancellation) is not SearchReplies.SearchResults results)
            throw new CommandFailedException($"search {id}: its results could not be read");
        var top = SearchExport.Top(results, 5);
        var files = ExportWriter.Write(results, Path.Combine(outFolder, "exports", id));
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                searchId = id, status = end.Status, space = spec.Space, method = spec.Training.Method, steps = spec.Training.Steps,
                evaluations = results.Evaluations.Count, seconds = clock.Elapsed.TotalSeconds,
                top = top.Select(t => new { architecture = t.Text, accuracy = t.Accuracy, flops = t.Flops, @params = t.Params }),
            }, JsonOutput.Options));
            return end.Status == SearchStatusNames.Completed ? 0 : 1;
        }
        AnsiConsole.MarkupLine($"Search {id} {end.Status}: {results.Evaluations.Count} evaluations (inherited weights, BatchNorm recalibrated).");
        AnsiConsole.MarkupLine("Top-5:");
        AnsiConsole.Write(TopTable(BlockSpaces.Get(spec.Space), top));
        AnsiConsole.MarkupLine($"Results and plots: {Markup.Escape(Path.GetDirectoryName(files[0])!)}");
        AnsiConsole.MarkupLine($"Done in {clock.Elapsed:mm\\:ss}.");
        return end.Status == SearchStatusNames.Completed ? 0 : 1;
    }

    /// <summary>hocon/specs/quickstart.conf with the options given on the command line applied.</summary>
    public static SearchSpec Spec(QuickstartSettings settings)
    {
        var spec = SpecReader.ReadFile(NodeConfig.Resolve(Path.Combine("specs", "quickstart.conf")));
        // The spec file is the preset; options given on the command line replace its values.
        var steps = settings.Steps ?? spec.Training.Steps;
        spec = spec with
        {
            Space = settings.Space ?? spec.Space, Dataset = settings.Dataset ?? spec.Dataset, Seed = settings.SeedOrDefault,
            Budget = settings.Candidates ?? spec.Budget,
            Training = (settings.Steps is null ? spec.Training : spec.Training with
            {
                Steps = steps,
                WarmupSteps = Math.Min(spec.Training.WarmupSteps, steps - 1),
                CheckpointEvery = Math.Max(1, steps / 6),
            }) with
            {
                BatchSize = settings.BatchSize ?? spec.Training.BatchSize,
                MeanGradients = settings.MeanGradients || spec.Training.MeanGradients,
            },
        };
        SearchSetup.Validate(spec, "quickstart");
        return spec;
    }

    private static Table TopTable(BlockSpace space, IReadOnlyList<RankedArchitecture> top)
    {
        var table = new Table().AddColumns("#", "architecture", "blocks", "MFLOPs", "params (k)", "val. accuracy", "val. loss");
        for (var i = 0; i < top.Count; i++)
        {
            var t = top[i];
            var arch = Architecture.ParseChoiceString(t.Architecture);
            var blocks = string.Join(" ", arch.Select((c, layer) => space.ChoiceName(layer, c)));
            table.AddRow((i + 1).ToString(), t.Text, Markup.Escape(blocks), $"{t.Flops / 1e6:F2}", $"{t.Params / 1e3:F1}", $"{t.Accuracy:F2}%", $"{t.Loss:F3}");
        }
        return table;
    }

    /// <summary>
    /// Prints the search's progress (to standard error in JSON mode, where the document is the only standard output):
    /// supernet steps every 5 % of them and at least every 30 s, every evaluation, every other event.
    /// </summary>
    private static Action<SearchProgressed> Printer(bool json, long steps)
    {
        var output = json ? Console.Error : Console.Out;
        var lastShare = -1L;
        var lastPrint = DateTime.MinValue;
        return p =>
        {
            if (p.Kind == SearchProgressKinds.Training)
            {
                var share = steps == 0 ? 0 : p.TrainingStep * 20 / steps;
                if (share != lastShare || DateTime.UtcNow - lastPrint > TimeSpan.FromSeconds(30))
                {
                    lastShare = share;
                    lastPrint = DateTime.UtcNow;
                    output.WriteLine($"[supernet] {p.Message}");
                }
            }
            else if (p.Kind == SearchProgressKinds.Evaluated) output.WriteLine($"[{p.Evaluated}/{p.Budget}] {p.Message} (best {p.BestAccuracy:F2})");
            else output.WriteLine($"[{p.Kind}] {p.Message}");
        };
    }
}
