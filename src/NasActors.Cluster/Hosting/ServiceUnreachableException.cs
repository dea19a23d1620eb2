namespace NasActors.Cluster.Hosting;

/// <summary>
/// A node or a database that could not be reached (no answer, connection refused). The command line exits with 3 on
/// it, apart from bad input (2) and failures of a command that ran (1). An InvalidOperationException, so callers
/// that retry "no answer yet" keep catching it.
/// </summary>
public sealed class ServiceUnreachableException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
