using Akka.Configuration;
using Npgsql;

namespace NasActors.Cluster.Persistence;

/// <summary>
/// Akka.Persistence.Sql on PostgreSQL (provider <c>PostgreSQL.15</c>: <c>ordering</c> is a BIGINT identity) for
/// clusters whose controller nodes run on several machines and share one journal. The connection string comes from
/// <c>NAS_POSTGRES_CONNECTION</c> or <c>nas.persistence.postgres.connection-string</c>, the password from
/// <c>NAS_POSTGRES_PASSWORD</c> (never committed).
/// </summary>
public static class PostgresPersistence
{
    public const string ProviderName = "PostgreSQL.15";
    public const string ConnectionVariable = "NAS_POSTGRES_CONNECTION";
    public const string PasswordVariable = "NAS_POSTGRES_PASSWORD";

    /// <summary>
    /// The connection string to use: the environment's over the configured one, the password from the environment
    /// when given there. Throws <see cref="ArgumentException"/> naming the setting when it is missing or malformed.
    /// </summary>
    public static string ResolveConnectionString(string? configured, Func<string, string?> environment)
    {
        var fromEnv = environment(ConnectionVariable);
        var source = string.IsNullOrWhiteSpace(fromEnv) ? "nas.persistence.postgres.connection-string" : ConnectionVariable;
        var text = string.IsNullOrWhiteSpace(fromEnv) ? configured : fromEnv;
        if (string.IsNullOrWhiteSpace(text))
            throw new ArgumentException(
                $"PostgreSQL persistence needs a connection string: set {ConnectionVariable} or nas.persistence.postgres.connection-string " +
                $"(e.g. \"Host=db;Port=5432;Database=nas;Username=nas\"; the password in {PasswordVariable}).");
        NpgsqlConnectionStringBuilder b;
        try { b = new NpgsqlConnectionStringBuilder(text); }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            throw new ArgumentException($"{source}: not a valid PostgreSQL connection string: {e.Message}", e);
        }
        if (string.IsNullOrWhiteSpace(b.Host)) throw new ArgumentException($"{source}: the connection string names no Host.");
        if (string.IsNullOrWhiteSpace(b.Database)) throw new ArgumentException($"{source}: the connection string names no Database.");
        if (environment(PasswordVariable) is { Length: > 0 } password) b.Password = password;
        return b.ConnectionString;
    }

    /// <summary>The persistence HOCON for this database (the plugin defaults included as fallback).</summary>
    public static Config Config(string connectionString, TimeSpan? queryRefresh = null) =>
        SqlitePersistence.SqlConfig(connectionString, connectionString, ProviderName, journalParallelism: 4, queryRefresh);
}
