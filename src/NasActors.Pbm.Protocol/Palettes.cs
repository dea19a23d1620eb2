namespace NasActors.Pbm.Protocol;

/// <summary>A switch of a command: <c>-a value</c> or <c>--address value</c>; a flag takes no value.</summary>
public sealed record ArgumentDefinition(
    string Name, string? Short, string Description, bool Mandatory = false, string? Default = null, bool IsFlag = false)
{
    public string Usage => (Short is null ? $"--{Name}" : $"-{Short}|--{Name}") + (IsFlag ? "" : $" <{Name}>");
}

public sealed record CommandDefinition(string Name, string Description, IReadOnlyList<ArgumentDefinition> Arguments, bool Streams = false);

/// <summary>A named group of commands that a feature of the node registers with the command host.</summary>
public sealed record PaletteDefinition(string Name, string Description, IReadOnlyList<CommandDefinition> Commands);
