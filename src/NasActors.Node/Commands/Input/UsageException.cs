namespace NasActors.Node.Commands.Input;

/// <summary>Bad input found by a command before it did anything (an option against a file's content, ...): exit code 2.</summary>
public sealed class UsageException(string message, Exception? inner = null) : ArgumentException(message, inner);

/// <summary>The command ran and did not do what was asked (no such search, nothing to pause): exit code 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);
