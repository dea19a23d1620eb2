using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace NasActors.Cluster.Persistence;

/// <summary>
/// Akka.Persistence.Sql on SQLite files: the journal and the snapshots in two files (they would contend for one
/// writer lock), WAL mode, one journal writer, a busy timeout, tables created on first use, and the plugin's own
/// defaults as fallback (without them the journal fails with "Plugin class name must be defined").
/// </summary>
public static class SqlitePersistence
{
    public const string ProviderName = "SQLite.MS";

    /// <summary>Connection string of a file database (no shared cache: WAL gives readers their own snapshot).</summary>
    public static string ConnectionString(string file) =>
        new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(file), DefaultTimeout = 30, Pooling = true }.ToString();

    /// <summary>Creates the folder and switches the files to WAL (a persistent property of a database file).</summary>
    public static void Prepare(string journalFile, string snapshotFile)
    {
        foreach (var file in new[] { journalFile, snapshotFile })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            using var c = new SqliteConnection(ConnectionString(file));
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The persistence HOCON for these two files (the plugin defaults included as fallback).</summary>
    public static Config Config(string journalFile, string snapshotFile, TimeSpan? queryRefresh = null) =>
        SqlConfig(ConnectionString(journalFile), ConnectionString(snapshotFile), ProviderName, journalParallelism: 1, queryRefresh);

    /// <summary>How long the journal's and the snapshot store's circuit breakers stay open before they let one call through.</summary>
    public const string BreakerResetTimeout = "1s";

    /// <summary>Akka.Persistence.Sql's journal, snapshot store and read journal on these connections (any provider).</summary>
    internal static Config SqlConfig(string journalConnection, string snapshotConnection, string provider, int journalParallelism,
        TimeSpan? queryRefresh)
    {
        var journal = Quote(journalConnection);
        var snapshots = Quote(snapshotConnection);
        var refresh = $"{(int)(queryRefresh ?? TimeSpan.FromMilliseconds(200)).TotalMilliseconds}ms";
        // The plugins' circuit breakers stay open for reset-timeout after max-failures failed calls in a row; Akka's
        // 30 s (journal) and 60 s (snapshot store) kept every recovery failing long after the database was back
        // (docs/recovery.md). After 1 s one call is let through
        // (half-open) and its success closes the breaker: a database that is still down sees one call a second.
        var hocon = $$"""
            akka.persistence {
              journal {
                plugin = "akka.persistence.journal.sql"
                sql {
                  connection-string = {{journal}}
                  provider-name = "{{provider}}"
                  parallelism = {{journalParallelism}}
                  auto-initialize = true
                  tag-write-mode = Csv
                  circuit-breaker.reset-timeout = {{BreakerResetTimeout}}
                }
              }
              snapshot-store {
                plugin = "akka.persistence.snapshot-store.sql"
                sql {
                  connection-string = {{snapshots}}
                  provider-name = "{{provider}}"
                  auto-initialize = true
                  circuit-breaker.reset-timeout = {{BreakerResetTimeout}}
                }
              }
              query.journal.sql {
                connection-string = {{journal}}
                provider-name = "{{provider}}"
                tag-read-mode = Csv
                refresh-interval = {{refresh}}
                journal-sequence-retrieval.query-delay = {{refresh}}
              }
            }
            """;
        return ConfigurationFactory.ParseString(hocon).WithFallback(SqlPersistence.DefaultConfiguration);
    }

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
