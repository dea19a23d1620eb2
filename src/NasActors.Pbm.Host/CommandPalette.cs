using System.Globalization;
using Akka.Actor;
using NasActors.Pbm.Protocol;

namespace NasActors.Pbm.Host;

/// <summary>A command that cannot be carried out; its message is the one line the client prints.</summary>
public sealed class CommandFailedException(string message) : Exception(message);

/// <summary>Where a command writes its lines (each one goes to the client as it is written).</summary>
public interface ICommandOutput
{
    ValueTask WriteLineAsync(string line);
}

/// <summary>One invocation: the node's actor system and the arguments by name (defaults filled in).</summary>
public sealed record CommandRequest(ActorSystem System, IReadOnlyDictionary<string, string> Arguments)
{
    public string? Get(string name) => Arguments.TryGetValue(name, out var v) ? v : null;

    public string Required(string name) => Get(name) is { Length: > 0 } v ? v : throw new CommandFailedException($"missing --{name}");

    public int Int(string name, int min, int max)
    {
        var text = Required(name);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new CommandFailedException($"--{name} must be a whole number in [{min}, {max}], got '{text}'");
        return v;
    }
}

public delegate Task CommandHandler(CommandRequest request, ICommandOutput output, CancellationToken cancel);

/// <summary>A palette as a feature registers it: the definitions the client downloads, and a handler per command.</summary>
public sealed class CommandPalette
{
    private readonly List<CommandDefinition> _commands = [];
    private readonly Dictionary<string, CommandHandler> _handlers = new(StringComparer.OrdinalIgnoreCase);

    public CommandPalette(string name, string description)
    {
        Name = name;
        Description = description;
    }

    public string Name { get; }
    public string Description { get; }
    public PaletteDefinition Definition => new(Name, Description, _commands.ToArray());

    public CommandPalette Command(string name, string description, CommandHandler handler, params ArgumentDefinition[] arguments) =>
        Add(new CommandDefinition(name, description, arguments), handler);

    /// <summary>A command that streams lines until the client cancels it (Ctrl+C) or it ends by itself.</summary>
    public CommandPalette Stream(string name, string description, CommandHandler handler, params ArgumentDefinition[] arguments) =>
        Add(new CommandDefinition(name, description, arguments, Streams: true), handler);

    private CommandPalette Add(CommandDefinition definition, CommandHandler handler)
    {
        _commands.Add(definition);
        _handlers[definition.Name] = handler;
        return this;
    }

    public CommandHandler? Handler(string command) => _handlers.GetValueOrDefault(command);

    public static ArgumentDefinition Switch(string name, string? shortName, string description, bool mandatory = false, string? defaultValue = null) =>
        new(name, shortName, description, mandatory, defaultValue);
}
