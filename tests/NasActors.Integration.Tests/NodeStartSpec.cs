using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using Npgsql;
using Xunit.Abstractions;

namespace NasActors.Integration.Tests;

/// <summary>
/// Issue 18, "fail fast at start, naming the thing": real `nas node` processes on loopback that cannot start (a port
/// taken, PostgreSQL down or refusing, a journal file that is not a usable database) exit non-zero with one line
/// naming the key, variable or path, leave stored data as it was, and leave other nodes alone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
public sealed class NodeStartSpec(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("nas-start-").FullName;
    private readonly List<NodeProcess> _nodes = new();

    private NodeProcess Node(string name, int port, IReadOnlyDictionary<string, string>? environment = null, string[]? configs = null, params string[] sets)
    {
        var node = new NodeProcess(Path.Combine(_root, name), port, environment, configs ?? [], sets);
        _nodes.Add(node);
        return node;
    }

    /// <summary>The one `nas:` line the node printed (standard error), asserting there is exactly one and no stack trace.</summary>
    private static string ErrorLine(NodeProcess node)
    {
        var lines = node.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal)); // no stack trace
        Assert.DoesNotContain(lines, l => l.Contains("nas node up", StringComparison.Ordinal));
        return Assert.Single(lines, l => l.StartsWith("nas: ", StringComparison.Ordinal));
    }

    /// <summary>Every file under a folder with its bytes' hash and its mode: "nothing stored is touched" compares two of these.</summary>
    private static SortedDictionary<string, string> Contents(string folder) =>
        new(Directory.Exists(folder)
            ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
                f => Path.GetRelativePath(folder, f),
                f => $"{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))} {File.GetUnixFileMode(f)} {File.GetLastWriteTimeUtc(f):O}")
            : new Dictionary<string, string>());

    [Fact]
    public async Task A_node_started_on_a_remoting_port_another_node_holds_exits_naming_the_port_and_the_first_node_goes_on()
    {
        using var cluster = new TestCluster(output, _root);
        var port = NodeProcess.FreePort();
        cluster.SeedPorts.Add(port);
        var first = cluster.Start("first", port, NasRoles.All.ToArray());
        await first.WaitForOutputAsync("nas node up", TimeSpan.FromSeconds(90));

        var second = Node("second", port);
        Assert.Equal(2, await second.WaitForExitAsync(ExitWithin));
        Assert.Equal($"nas: remoting port {port} on 127.0.0.1 is in use (nas.port)", ErrorLine(second));
        Assert.Empty(Contents(Path.Combine(_root, "second"))); // no journal created

        // The first node is unaffected: it runs a search to the end.
        Assert.False(first.HasExited);
        var spec = SpecReader.ReadText($$"""
            search {
              name = first, space = table, seed = 1, budget = 12
              controller { name = random }
              evaluation { kind = stub, table = "{{NodeProcess.Table}}", signal = valid12, stub-cost = 10ms }
            }
            """);
        await cluster.SubmitAsync(first, "first", spec);
        await cluster.WaitForStatusAsync(first, "first", s => s.Status == SearchStatusNames.Completed);
        TestCluster.AssertNothingLostOrTwice(await cluster.ReadJournalAsync("first", "first"), spec.Budget);
    }

    [Fact]
    public async Task A_node_whose_pbm_port_is_taken_exits_naming_the_port_instead_of_running_without_its_command_host()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var pbmPort = ((IPEndPoint)holder.LocalEndpoint).Port;
        var port = NodeProcess.FreePort();
        var node = Node("pbm", port, sets: $"nas.pbm.port = {pbmPort}");
        Assert.Equal(2, await node.WaitForExitAsync(ExitWithin));
        Assert.Equal($"nas: pbm port {pbmPort} on 127.0.0.1 is in use (nas.pbm.port)", ErrorLine(node));
        Assert.Empty(Contents(Path.Combine(_root, "pbm")));
        using var remoting = new TcpListener(IPAddress.Loopback, port); // nothing was left listening on the remoting port
        remoting.Start();
    }

    [Fact]
    public async Task A_node_whose_PostgreSQL_is_down_exits_with_code_3_naming_host_and_port_and_creates_nothing()
    {
        var pgPort = NodeProcess.FreePort(); // nobody listens there
        var node = Node("pg-down", NodeProcess.FreePort(), new Dictionary<string, string>
        {
            ["NAS_POSTGRES_CONNECTION"] = $"Host=127.0.0.1;Port={pgPort};Database=nas;Username=nas",
            ["NAS_POSTGRES_PASSWORD"] = "unused",
        }, ["persistence-postgres.conf"]);
        Assert.Equal(3, await node.WaitForExitAsync(ExitWithin));
        var line = ErrorLine(node);
        Assert.StartsWith($"nas: PostgreSQL at 127.0.0.1:{pgPort}, database 'nas' (NAS_POSTGRES_CONNECTION) is unreachable: ", line);
        Assert.Empty(Contents(Path.Combine(_root, "pg-down")));
    }

    [Fact]
    public async Task A_node_that_PostgreSQL_refuses_for_a_wrong_password_or_a_missing_database_exits_with_code_2_and_creates_nothing()
    {
        using var postgres = new PostgresServer();
        var wrongPassword = Node("pg-password", NodeProcess.FreePort(), new Dictionary<string, string>
        {
            ["NAS_POSTGRES_CONNECTION"] = postgres.ConnectionString,
            ["NAS_POSTGRES_PASSWORD"] = "not-the-password",
        }, ["persistence-postgres.conf"]);
        var missingDatabase = Node("pg-database", NodeProcess.FreePort(), new Dictionary<string, string>
        {
            ["NAS_POSTGRES_CONNECTION"] = postgres.ConnectionString.Replace("Database=nas", "Database=missing"),
            ["NAS_POSTGRES_PASSWORD"] = PostgresServer.Password,
        }, ["persistence-postgres.conf"]);
        Assert.Equal(2, await wrongPassword.WaitForExitAsync(ExitWithin));
        Assert.StartsWith($"nas: PostgreSQL at 127.0.0.1:{postgres.Port}, database 'nas' (NAS_POSTGRES_CONNECTION) refused user 'nas': ", ErrorLine(wrongPassword));
        Assert.Equal(2, await missingDatabase.WaitForExitAsync(ExitWithin));
        Assert.Equal($"nas: PostgreSQL at 127.0.0.1:{postgres.Port}, database 'missing' (NAS_POSTGRES_CONNECTION): the database 'missing' does not exist",
            ErrorLine(missingDatabase));

        // Nothing created: no database named missing, no journal table in nas.
        await using var c = new NpgsqlConnection(postgres.ConnectionString.Replace("Database=nas", "Database=postgres") + $";Password={PostgresServer.Password}");
        await c.OpenAsync();
        await using var databases = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = 'missing'", c);
        Assert.Equal(0L, await databases.ExecuteScalarAsync());
        await using var n = new NpgsqlConnection(postgres.ConnectionString + $";Password={PostgresServer.Password}");
        await n.OpenAsync();
        await using var tables = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", n);
        Assert.Equal(0L, await tables.ExecuteScalarAsync());
        Assert.Empty(Contents(Path.Combine(_root, "pg-password")));
    }

    [Fact]
    public async Task A_second_process_on_a_SQLite_journal_a_running_node_holds_exits_naming_it_and_a_kill_9_frees_it()
    {
        // Two processes on one journal would be two clusters writing the same persistence ids (the shard coordinators').
        var shared = Path.Combine(_root, "shared");
        var journal = Path.Combine(shared, "journal.db");
        string[] sets = [$"nas.persistence.sqlite.journal-file = \"{journal}\"", $"nas.persistence.sqlite.snapshot-file = \"{Path.Combine(shared, "snapshots.db")}\""];
        var first = Node("first", NodeProcess.FreePort(), sets: sets);
        await first.WaitForOutputAsync("nas node up", TimeSpan.FromSeconds(90));

        var second = Node("second", NodeProcess.FreePort(), sets: sets);
        Assert.Equal(2, await second.WaitForExitAsync(ExitWithin));
        Assert.StartsWith($"nas: nas.persistence.sqlite.journal-file: '{journal}' is in use by another running node or command (it holds '{journal}.lock'",
            ErrorLine(second));
        Assert.False(first.HasExited);

        // The lock is the operating system's: a node killed with -9 leaves none behind, and its restart takes the journal.
        first.KillHard();
        await first.WaitForExitAsync(ExitWithin);
        var restarted = Node("restarted", NodeProcess.FreePort(), sets: sets);
        await restarted.WaitForOutputAsync("nas node up", TimeSpan.FromSeconds(90));
    }

    [Theory]
    [InlineData("garbage", "is not a SQLite database")]
    [InlineData("text", "is not a SQLite database")]
    [InlineData("truncated", "is damaged (truncated or overwritten): the database disk image is malformed")]
    [InlineData("read-only", "is read-only (mode 0444): the journal must be writable")]
    public async Task A_node_whose_SQLite_journal_is_not_a_usable_database_exits_naming_the_file_and_leaves_its_bytes_unchanged(string damage, string fault)
    {
        var folder = Path.Combine(_root, damage);
        var journal = Path.Combine(folder, "data", "journal.db");
        Directory.CreateDirectory(Path.GetDirectoryName(journal)!);
        switch (damage)
        {
            case "garbage": File.WriteAllBytes(journal, RandomNumberGenerator.GetBytes(64 * 1024)); break;
            case "text": File.WriteAllText(journal, "events: none\n"); break;
            case "truncated":
                WriteDatabase(journal);
                using (var f = new FileStream(journal, FileMode.Open)) f.SetLength(f.Length / 2);
                break;
            case "read-only":
                WriteDatabase(journal);
                File.SetUnixFileMode(journal, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                break;
        }
        var before = Contents(folder);

        var node = Node(damage, NodeProcess.FreePort());
        Assert.Equal(2, await node.WaitForExitAsync(ExitWithin));
        Assert.Equal($"nas: nas.persistence.sqlite.journal-file: '{journal}' {fault}", ErrorLine(node));
        Assert.Equal(before, Contents(folder)); // same files (no -wal, -shm or snapshots.db), same bytes, modes and times
    }

    /// <summary>A WAL-mode journal of many pages, checkpointed and closed, as a node leaves it.</summary>
    private static void WriteDatabase(string file)
    {
        using (var c = new SqliteConnection($"Data Source={file};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE event_journal (ordering INTEGER PRIMARY KEY, payload BLOB);" +
                              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) " +
                              "INSERT INTO event_journal (payload) SELECT randomblob(1000) FROM n; PRAGMA wal_checkpoint(TRUNCATE);";
            cmd.ExecuteNonQuery();
        }
        foreach (var companion in new[] { file + "-wal", file + "-shm" }) File.Delete(companion);
    }

    public void Dispose()
    {
        foreach (var n in _nodes)
        {
            n.Dispose();
            output.WriteLine($"--- node :{n.Port} ---\n{n.Output}");
        }
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
