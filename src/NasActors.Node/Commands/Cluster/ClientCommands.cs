using System.ComponentModel;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Population;
using NasActors.Cluster.Specs;
using Spectre.Console;
using Spectre.Console.Cli;
using static NasActors.Cluster.Population.SearchCommands;
using static NasActors.Cluster.Population.SearchReplies;

namespace NasActors.Node.Commands.Cluster;

public class ClientSettings : CommandSettings
{
    [CommandOption("--node <HOST:PORT>")]
    [Description("The node to talk to.")]
    [DefaultValue("127.0.0.1:4053")]
    public string Node { get; init; } = "127.0.0.1:4053";
}

public sealed class SubmitSettings : ClientSettings
{
    [CommandArgument(0, "<SPEC>")]
    [Description("A search spec (HOCON file with a search { ... } block), e.g. hocon/specs/quickstart.conf.")]
    public string Spec { get; init; } = "";

    [CommandOption("--id <ID>")]
    [Description("The search id (default: the spec's name and the time).")]
    public string? Id { get; init; }
}

public sealed class SearchIdSettings : ClientSettings
{
    [CommandArgument(0, "<SEARCH-ID>")]
    public string SearchId { get; init; } = "";
}

public sealed class StatusSettings : ClientSettings
{
    [CommandArgument(0, "[SEARCH-ID]")]
    public string? SearchId { get; init; }

    [CommandOption("--json")]
    public bool Json { get; init; }
}

public sealed class ExportSettings : ClientSettings
{
    [CommandArgument(0, "<SEARCH-ID>")]
    public string SearchId { get; init; } = "";

    [CommandOption("-o|--out <FOLDER>")]
    [Description("Folder for results.json, accuracy.svg and pareto.svg (default: exports/<search id>).")]
    public string? Out { get; init; }

    [CommandOption("--format <FORMAT>")]
    [Description("Plot format: svg or png.")]
    [DefaultValue("svg")]
    public string Format { get; init; } = "svg";
}

/// <summary><c>nas submit spec.conf</c>: validates the spec here (a bad one is rejected naming the key; nothing is persisted), then submits it.</summary>
public sealed class SubmitCommand : AsyncCommand<SubmitSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SubmitSettings settings, CancellationToken cancellation)
    {
        SearchSpec spec;
        try { spec = SpecReader.ReadFile(settings.Spec); }
        catch (SpecException e)
        {
            Console.Error.WriteLine($"Rejected: {e.Message}");
            return 2;
        }
        var id = settings.Id ?? $"{spec.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        await using var client = NasClient.Connect(settings.Node);
        switch (await client.AskAsync(new SubmitSearch(id, spec)))
        {
            case SearchAccepted: Console.WriteLine($"Submitted {id}"); return 0;
            case SearchRejected r: Console.Error.WriteLine($"Rejected: {r.Reason}"); return 2;
            case var other: Console.Error.WriteLine(other.ToString()); return 1;
        }
    }
}

/// <summary><c>nas status [id]</c>: every search from the journal projection, or one search from its population.</summary>
public sealed class StatusCommand : AsyncCommand<StatusSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, StatusSettings settings, CancellationToken cancellation)
    {
        await using var client = NasClient.Connect(settings.Node);
        if (settings.SearchId is null)
        {
            var list = (CatalogProtocol.SearchList)await client.AskAsync(CatalogProtocol.ListSearches.Instance);
            if (settings.Json) { Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(list.Searches)); return 0; }
            var table = new Table().AddColumns("search", "status", "controller", "space", "evaluated", "failed", "budget", "best acc.");
            foreach (var s in list.Searches)
                table.AddRow(s.SearchId, s.Status, s.Controller, s.Space, s.Evaluated.ToString(), s.Failed.ToString(), s.Budget.ToString(), s.BestAccuracy?.ToString("F2") ?? "-");
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
            case NoSuchSearch n: Console.Error.WriteLine(n.ToString()); return 3;
            case var other: Console.Error.WriteLine(other.ToString()); return 1;
        }
    }
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
        await using var client = NasClient.Connect(settings.Node);
        switch (await client.AskAsync(command))
        {
            case CommandDone d: Console.WriteLine(d.Message); return d.Changed ? 0 : 4;
            case NoSuchSearch n: Console.Error.WriteLine(n.ToString()); return 3;
            case PersistenceFailed f: Console.Error.WriteLine($"Not done: {f.Reason}"); return 1;
            case var other: Console.Error.WriteLine(other.ToString()); return 1;
        }
    }
}

/// <summary><c>nas export id</c>: results.json (top-k, Pareto front, every evaluation) and the two plots.</summary>
public sealed class ExportCommand : AsyncCommand<ExportSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ExportSettings settings, CancellationToken cancellation)
    {
        await using var client = NasClient.Connect(settings.Node);
        switch (await client.AskAsync(new SearchQueries.GetSearchResults(settings.SearchId)))
        {
            case SearchResults r:
                var folder = settings.Out ?? Path.Combine("exports", settings.SearchId);
                foreach (var file in ExportWriter.Write(r, folder, settings.Format)) Console.WriteLine(file);
                return 0;
            case NoSuchSearch n: Console.Error.WriteLine(n.ToString()); return 3;
            case var other: Console.Error.WriteLine(other.ToString()); return 1;
        }
    }
}
