using System.ComponentModel;
using System.Text.Json;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Torch.Scoring;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public sealed class ScoreSettings : EngineSettings
{
    [PathText]
    [CommandOption("-c|--checkpoint <FILE>")]
    [Description("Supernet checkpoint (.nasckpt) to inherit weights from.")]
    public string Checkpoint { get; init; } = "";

    [ArchitectureText]
    [CommandOption("-a|--arch <ARCH>")]
    [Description("Architecture to score (choice string such as 301245, or (3,0,1,2,4,5)); repeatable.")]
    public string[] Architectures { get; init; } = [];

    [NonNegative]
    [CommandOption("--sample <N>")]
    [Description("Also score N distinct architectures drawn uniformly from the space.")]
    [DefaultValue(0)]
    public int Sample { get; init; }

    [NonNegative]
    [CommandOption("--seed <SEED>")]
    [DefaultValue(1L)]
    public long Seed { get; init; } = 1;

    [AtLeastOne]
    [CommandOption("--recalibration-batches <N>")]
    [Description("Training batches forwarded to recalibrate BatchNorm statistics per candidate.")]
    [DefaultValue(8)]
    public int RecalibrationBatches { get; init; } = 8;

    [AtLeastOne(65536)]
    [CommandOption("--recalibration-batch-size <N>")]
    [DefaultValue(128)]
    public int RecalibrationBatchSize { get; init; } = 128;

    [PathText]
    [CommandOption("--data-dir <FOLDER>")]
    [Description("Dataset folder, when it moved since the supernet was trained.")]
    public string? DataDir { get; init; }

    [NonNegative]
    [CommandOption("--top <K>")]
    [Description("Show only the best K (0 = all).")]
    [DefaultValue(0)]
    public int Top { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Checkpoint)) return ValidationResult.Error("--checkpoint is required.");
        if (Architectures.Length == 0 && Sample <= 0) return ValidationResult.Error("Give --arch at least once or --sample N.");
        return base.Validate();
    }

    public ScoringOptions ToOptions() => new() { RecalibrationBatches = RecalibrationBatches, RecalibrationBatchSize = RecalibrationBatchSize };
}

/// <summary><c>nas score</c>: scores architectures with a supernet's inherited weights.</summary>
public sealed class ScoreCommand : Command<ScoreSettings>
{
    public override int Execute(CommandContext context, ScoreSettings settings, CancellationToken cancellation)
    {
        var runtime = settings.InitializeTorch();
        using var evaluator = new CandidateEvaluator(settings.Checkpoint, settings.ToOptions(), runtime.Device, dataFolderOverride: settings.DataDir);
        var candidates = settings.Architectures.Select(evaluator.Space.Parse).ToList();
        var left = evaluator.Space.Size() - candidates.Distinct().Count();
        if (settings.Sample > left)
            throw new UsageException($"--sample {settings.Sample}: space {evaluator.Space.Name} has {left:G} other architectures to draw");
        candidates.AddRange(SampleDistinct(evaluator.Space, settings.Sample, settings.Seed, candidates));
        var scores = ScoreAll(evaluator, candidates, new StepProgress(settings.Json), cancellation);
        var shown = Ranked(scores, settings.Top);
        if (settings.Json) Console.WriteLine(JsonSerializer.Serialize(new { checkpoint = evaluator.Sha256, space = evaluator.Space.Name, candidates = shown.Select(ToJson) }, JsonOutput.Options));
        else AnsiConsole.Write(Table(evaluator.Space, shown));
        return 0;
    }

    /// <summary>N distinct architectures drawn uniformly, none of them in <paramref name="exclude"/>.</summary>
    public static IReadOnlyList<Architecture> SampleDistinct(ISearchSpace space, int count, long seed, IEnumerable<Architecture> exclude)
    {
        var seen = new HashSet<Architecture>(exclude);
        var result = new List<Architecture>();
        var limit = Math.Min(count, (int)Math.Min(int.MaxValue, space.Size() - seen.Count));
        for (long draw = 0; result.Count < limit; draw++)
        {
            var rng = DeterministicRandom.For(seed, "score-sample", draw);
            var a = new Architecture(space.ChoiceCounts.Select(rng.NextInt).ToArray());
            if (seen.Add(a)) result.Add(a);
        }
        return result;
    }

    public static IReadOnlyList<CandidateScore> ScoreAll(CandidateEvaluator evaluator, IReadOnlyList<Architecture> candidates,
        StepProgress display, CancellationToken cancellation) =>
        display.Run("scoring", candidates.Count, report =>
        {
            var scores = new List<CandidateScore>();
            report(0, "");
            foreach (var a in candidates)
            {
                cancellation.ThrowIfCancellationRequested();
                var s = evaluator.Evaluate(a);
                scores.Add(s);
                report(scores.Count, $"best {scores.Max(x => x.Accuracy):P2} ({s.Duration.TotalSeconds:F1} s/candidate)");
            }
            return (IReadOnlyList<CandidateScore>)scores;
        });

    public static IReadOnlyList<CandidateScore> Ranked(IEnumerable<CandidateScore> scores, int top)
    {
        var ranked = scores.OrderByDescending(s => s.Accuracy).ThenBy(s => s.Flops).ThenBy(s => s.Text, StringComparer.Ordinal).ToList();
        return top > 0 ? ranked.Take(top).ToList() : ranked;
    }

    public static object ToJson(CandidateScore s) => new
    {
        architecture = s.Text, accuracy = s.Accuracy, loss = s.Loss, flops = s.Flops, @params = s.Params, seconds = s.Duration.TotalSeconds,
    };

    public static Table Table(NasActors.Core.Spaces.Blocks.BlockSpace space, IReadOnlyList<CandidateScore> scores)
    {
        var table = new Table().AddColumns("#", "architecture", "blocks", "MFLOPs", "params (k)", "val. accuracy", "val. loss");
        for (var i = 0; i < scores.Count; i++)
        {
            var s = scores[i];
            var blocks = string.Join(" ", s.Architecture.Select((c, layer) => space.ChoiceName(layer, c)));
            table.AddRow((i + 1).ToString(), s.Text, Markup.Escape(blocks), $"{s.Flops / 1e6:F2}", $"{s.Params / 1e3:F1}", $"{s.Accuracy:P2}", $"{s.Loss:F3}");
        }
        return table;
    }
}
