using System.ComponentModel;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Core.Input;
using NasActors.Node.Commands.Input;
using Spectre.Console;
using Spectre.Console.Cli;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Node.Commands.Nodes;

public class ClientSettings : ConfigFileSettings
{
    [HostPort]
    [CommandOption("--node <HOST:PORT>")]
    [Description("The node to talk to, as it advertises itself (nas.public-hostname or nas.hostname, and nas.port); local or remote.")]
    [DefaultValue("127.0.0.1:4053")]
    public string Node { get; init; } = "127.0.0.1:4053";

    [Positive]
    [CommandOption("--timeout <SECONDS>")]
    [Description("How long to wait for the node's answer before giving up (exit code 3).")]
    [DefaultValue(30.0)]
    public double Timeout { get; init; } = 30;

    public NasClient Connect() => NasClient.Connect(Node, TimeSpan.FromSeconds(Timeout), NodeConfig.Load(Config, Set));
}

public sealed class SubmitSettings : ClientSettings
{
    [PathText]
    [CommandArgument(0, "<SPEC>")]
    [Description("A search spec (HOCON file with a search { ... } block), e.g. hocon/specs/quickstart.conf.")]
    public string Spec { get; init; } = "";

    [SearchIdText]
    [CommandOption("--id <ID>")]
    [Description("The search id (default: the spec's name and the time).")]
    public string? Id { get; init; }
}

public sealed class SearchIdSettings : ClientSettings
{
    [SearchIdText]
    [CommandArgument(0, "<SEARCH-ID>")]
    public string SearchId { get; init; } = "";
}

public sealed class StatusSettings : ClientSettings
{
    [SearchIdText]
    [CommandArgument(0, "[SEARCH-ID]")]
    public string? SearchId { get; init; }

    [CommandOption("--json")]
    public bool Json { get; init; }
}

public sealed class ExportSettings : ClientSettings
{
    [SearchIdText]
    [CommandArgument(0, "<SEARCH-ID>")]
    public string SearchId { get; init; } = "";

    [PathText(Output = OutputPath.Folder)]
    [CommandOption("-o|--out <FOLDER>")]
    [Description("Folder for results.json, accuracy.svg and pareto.svg (default: exports/<search id>).")]
    public string? Out { get; init; }

    [OneOf("svg", "png")]
    [CommandOption("--format <FORMAT>")]
    [Description("Plot format: svg or png.")]
    [DefaultValue("svg")]
    public string Format { get; init; } = "svg";
}

/// <summary><c>nas submit spec.conf</c>: validates the spec and the id here (bad ones are refused naming the key; nothing is persisted), then submits it.</summary>
public sealed class SubmitCommand : AsyncCommand<SubmitSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SubmitSettings settings, CancellationToken cancellation)
    {
        var spec = SpecReader.ReadFile(settings.Spec);
        var id = settings.Id ?? $"{spec.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        if (SearchIds.Problem(id) is { } problem)
            throw new UsageException(settings.Id is null
                ? $"the search id '{id}' made from the spec's name {problem}: give --id ({SearchIds.Rule})"
                : $"--id '{id}': {problem}");
        await using var client = settings.Connect();
        switch (await client.AskAsync(new SubmitSearch(id, spec)))
        {
            case SearchAccepted: Console.WriteLine($"Submitted {id}"); return 0;
            case SearchRejected r: throw new UsageException($"the node refused search {id}: {r.Reason}");
            case var other: throw new CommandFailedException($"unexpected answer: {other}");
        }
    }
}

/// <summary><c>nas status [id]</c>: every search from the journal projection, or one search from its population.</summary>
public sealed class StatusCommand : AsyncCommand<StatusSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, StatusSettings settings, CancellationToken cancellation)
    {
        await using var client = settings.Connect();
        if (settings.SearchId is null)
        {
            var list = (CatalogProtocol.SearchList)await client.AskAsync(CatalogProtocol.ListSearches.Instance);
            if (settings.Json) { Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(list.Searches)); return 0; }
            var table = new Table().AddColumns("search", "status", "controller", "space", "evaluated", "failed", "budget", "best acc.");
            foreach (var s in list.Searches)
                table.AddRow(Markup.Escape(s.SearchId), s.Status, s.Controller, s.Space, s.Evaluated.ToString(), s.Failed.ToString(), s.Budget.ToString(), s.BestAccuracy?.ToString("F2") ?? "-");
            AnsiConsole.Write(table);
            return 0;
        }
        switch (await client.AskAsync(new SearchQueries.GetSearchStatus(settings.SearchId)))
        {
            case SearchStatus s:
                if (settings.Json) { Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(s)); return 0; }
                Console.WriteLine($"{s.SearchId} ({s.Name}): {s.Status}, {s.Controller} on {s.Space}");
                Console.WriteLine($"  evaluated {s.Evaluated}, failed {s.Failed}, pending {s.Pending}, budget {s.Budget}, generations {s.Generations}");
                if (s.TrainingSteps > 0) Console.WriteLine($"  supernet: step {s.TrainingStep}/{s.TrainingSteps}, checkpoint {s.Checkpoint?[..12] ?? "-"}");
                Console.WriteLine($"  best: {s.BestArchitecture ?? "-"} {s.BestAccuracy?.ToString("F2") ?? ""}");
                return 0;
            case var other: throw Failure(other);
        }
    }

    /// <summary>A reply that is not the answer asked for, as the command's failure.</summary>
    public static CommandFailedException Failure(object reply) => reply switch
    {
        NoSuchSearch n => new CommandFailedException(n.ToString()),
        PersistenceFailed f => new CommandFailedException($"not done: {f.Reason}"),
        _ => new CommandFailedException($"unexpected answer: {reply}"),
    };
}

/// <summary><c>nas pause|resume|cancel id</c>.</summary>
public sealed class SearchControlCommand : AsyncCommand<SearchIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SearchIdSettings settings, CancellationToken cancellation)
    {
        object command = context.Name switch
        {
            "pause" => new PauseSearch(settings.SearchId),
            "resume" => new ResumeSearch(settings.SearchId),
            _ => new CancelSearch(settings.SearchId, "cancelled from the command line"),
        };
        await using var client = settings.Connect();
        switch (await client.AskAsync(command))
        {
            case CommandDone { Changed: true } d: Console.WriteLine(d.Message); return 0;
            case CommandDone d: throw new CommandFailedException(d.Message);
            case var other: throw StatusCommand.Failure(other);
        }
    }
}

/// <summary><c>nas export id</c>: results.json (top-k, Pareto front, every evaluation) and the two plots.</summary>
public sealed class ExportCommand : AsyncCommand<ExportSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ExportSettings settings, CancellationToken cancellation)
    {
        // The default folder is named after the id: it stays under exports/ whatever the id holds.
        var folder = settings.Out ?? ConfinedPath.Combine("exports", settings.SearchId);
        await using var client = settings.Connect();
        switch (await client.AskAsync(new SearchQueries.GetSearchResults(settings.SearchId)))
        {
            case SearchResults r:
                foreach (var file in ExportWriter.Write(r, folder, settings.Format.ToLowerInvariant())) Console.WriteLine(file);
                return 0;
            case var other: throw StatusCommand.Failure(other);
        }
    }
}
