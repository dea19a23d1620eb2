using System.ComponentModel;
using NasActors.Core.Costs;
using NasActors.Core.Spaces.Blocks;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;

namespace NasActors.Node.Commands.Engine;

public sealed class SpacesSettings : CommandSettings
{
    [KnownSpace]
    [CommandArgument(0, "[SPACE]")]
    [Description("Describe one space layer by layer.")]
    public string? Space { get; init; }
}

/// <summary><c>nas spaces</c>: the block spaces, their size and cost ranges.</summary>
public sealed class SpacesCommand : Command<SpacesSettings>
{
    public override int Execute(CommandContext context, SpacesSettings settings, CancellationToken cancellation)
    {
        if (settings.Space is not null)
        {
            Console.Write(BlockSpaces.Get(settings.Space).Describe());
            return 0;
        }
        var table = new Table().AddColumns("space", "input", "layers", "architectures", "MFLOPs", "params (M)");
        foreach (var name in BlockSpaces.Names)
        {
            var s = BlockSpaces.Get(name);
            var c = s.CostModel();
            table.AddRow(name, s.Input.ToString(), s.ChoiceCounts.Count.ToString(), $"{NasActors.Core.Spaces.SearchSpaceExtensions.Size(s):G3}",
                $"{c.Minimum(CostMetrics.Flops) / 1e6:F1} - {c.Maximum(CostMetrics.Flops) / 1e6:F1}",
                $"{c.Minimum(CostMetrics.Params) / 1e6:F3} - {c.Maximum(CostMetrics.Params) / 1e6:F3}");
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
