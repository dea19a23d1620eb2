using System.ComponentModel;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Bench;

/// <summary>Options of <c>nas bench</c>.</summary>
public sealed class BenchSettings : CommandSettings
{
    [PathText]
    [CommandOption("-t|--table <CSV>")]
    [Description("Benchmark table: a CSV file with an architecture column and numeric columns.")]
    public string Table { get; init; } = "";

    [NotEmpty]
    [CommandOption("--space <SPACE>")]
    [Description("Search space of the table: nb201, layers:LxK (e.g. layers:8x3), or auto (cell strings are nb201; digit strings give L from their length, K from the largest digit).")]
    [DefaultValue("auto")]
    public string Space { get; init; } = "auto";

    [NotEmpty]
    [CommandOption("--arch-column <NAME>")]
    [Description("Column holding the architectures.")]
    [DefaultValue("arch")]
    public string ArchColumn { get; init; } = "arch";

    [NotEmpty]
    [CommandOption("-s|--signal <COLUMN>")]
    [Description("Column that guides the search (higher is better), e.g. valid12.")]
    public string Signal { get; init; } = "";

    [NotEmpty]
    [CommandOption("--score <COLUMN>")]
    [Description("Column that scores the returned architecture (the best by signal), e.g. test200. Default: the signal.")]
    public string? Score { get; init; }

    [KnownControllers]
    [CommandOption("-c|--controller <NAMES>")]
    [Description("Controller, or several separated by commas: random, evolution, regularized-evolution, nsga2, reinforce, predictor-evolution.")]
    [DefaultValue("random")]
    public string Controller { get; init; } = "random";

    [AtLeastOne(1000000)]
    [CommandOption("-b|--budget <N>")]
    [Description("Distinct evaluations (table look-ups) per search.")]
    [DefaultValue(100)]
    public int Budget { get; init; } = 100;

    [AtLeastOne(1000000)]
    [CommandOption("--seeds <N>")]
    [Description("Number of searches (seeds first-seed, first-seed+1, ...).")]
    [DefaultValue(300)]
    public int Seeds { get; init; } = 300;

    [NonNegative]
    [CommandOption("--first-seed <SEED>")]
    [Description("Seed of the first search.")]
    [DefaultValue(0L)]
    public long FirstSeed { get; init; }

    [KeyValue]
    [CommandOption("--max <COLUMN=VALUE>")]
    [Description("Cost constraint on a table column, repeatable: --max latency_gpu_ms=8 --max params=1.2.")]
    public string[] Max { get; init; } = [];

    [KeyValue]
    [CommandOption("--set <KEY=VALUE>")]
    [Description("Controller setting, repeatable: --set population=20. With several controllers, prefix the name: --set reinforce:learning_rate=0.05.")]
    public string[] Set { get; init; } = [];

    [PathText(DashAllowed = true)]
    [CommandOption("--curve-out <CSV>")]
    [Description("Write the curve (controller, evaluations, mean and std of the best-so-far score) as CSV; --curve-out=- prints it.")]
    public string? CurveOut { get; init; }

    [PathText(Output = OutputPath.File)]
    [CommandOption("--plot <PNG>")]
    [Description("Write a plot of mean best-so-far score against evaluations used.")]
    public string? Plot { get; init; }

    [CommandOption("--json")]
    [Description("Print the summary as JSON instead of a table.")]
    public bool Json { get; init; }

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(Table)) return ValidationResult.Error("--table is required.");
        if (string.IsNullOrWhiteSpace(Signal)) return ValidationResult.Error("--signal is required (the column that guides the search).");
        if (FirstSeed > long.MaxValue - Seeds) return ValidationResult.Error($"--first-seed {FirstSeed}: with --seeds {Seeds} the last seed is past {long.MaxValue}");
        return ValidationResult.Success();
    }
}
