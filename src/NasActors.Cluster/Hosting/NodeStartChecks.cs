using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using NasActors.Pbm.Host;
using NasActors.Cluster.Persistence;
using Npgsql;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// A node that cannot start: the message names the key, variable or path and the fault (one line, no stack trace);
/// <see cref="ExitCode"/> follows the <c>nas</c> convention: 2 bad input (a setting, a port taken, a file that is not
/// a usable journal), 3 a database that could not be reached.
/// </summary>
public sealed class NodeStartException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public const int BadInput = 2;
    public const int Unreachable = 3;
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Everything a node needs from its machine, checked before its actor system starts, so that a node that prints
/// "up" is up, and a node that cannot be leaves nothing behind: the remoting port binds, the pbm and dashboard ports bind, the
/// SQLite journal files are databases this node may write (checked read-only; nothing is created or changed), the
/// PostgreSQL journal answers a query. A failure throws <see cref="NodeStartException"/>.
/// </summary>
public static class NodeStartChecks
{
    /// <summary>How long the PostgreSQL check waits for the server at most (the connection string's timeout if shorter).</summary>
    public static readonly TimeSpan PostgresTimeout = TimeSpan.FromSeconds(5);

    /// <param name="describe">Turns a key (e.g. <c>nas.port</c>) into what the user set: the key, the variable or the file.</param>
    public static void Run(Config config, NasNodeOptions o, Func<string, string?> environment, Func<string, string>? describe = null)
    {
        describe ??= k => k;
        Remoting(o, environment, describe);
        Pbm(config, describe);
        Dashboard(o.Dashboard, describe);
        if (o.PersistenceBackend == PersistenceBackend.Postgres) Postgres(o.PostgresConnection!, environment);
        else
        {
            Sqlite(o.JournalFile, describe("nas.persistence.sqlite.journal-file"));
            Sqlite(o.SnapshotFile, describe("nas.persistence.sqlite.snapshot-file"));
        }
    }

    /// <summary>The remoting host resolves, the port is a port and nothing else listens on it.</summary>
    public static void Remoting(NasNodeOptions o, Func<string, string?> environment, Func<string, string> describe)
    {
        var portKey = environment(NasNodeOptions.Env.Port) is { Length: > 0 } ? NasNodeOptions.Env.Port : describe("nas.port");
        var hostKey = environment(NasNodeOptions.Env.Hostname) is { Length: > 0 } ? NasNodeOptions.Env.Hostname : describe("nas.hostname");
        if (o.Port is < 0 or > 65535)
            throw new NodeStartException(NodeStartException.BadInput, $"{portKey}: {o.Port} is not a port number (0-65535)");
        var address = Resolve(o.Hostname, hostKey);
        if (o.Port != 0) EnsureFree(address, o.Port, $"remoting port {o.Port} on {o.Hostname} is in use ({portKey})");
    }

    /// <summary>The pbm command host's settings are valid and its port is free (when it is enabled).</summary>
    public static void Pbm(Config config, Func<string, string> describe)
    {
        CommandHostSettings settings;
        IPAddress address;
        try
        {
            settings = CommandHostSettings.From(config);
            if (!settings.Enabled) return;
            address = settings.BindAddress();
        }
        catch (Exception e) when (e is ConfigurationException or FormatException or ArgumentException)
        {
            throw new NodeStartException(NodeStartException.BadInput, e.Message, e);
        }
        if (settings.Port != 0)
            EnsureFree(address, settings.Port, $"pbm port {settings.Port} on {settings.Host} is in use ({describe("nas.pbm.port")})");
    }

    /// <summary>The dashboard's bind address follows the token rule and its port is free (when it is enabled).</summary>
    public static void Dashboard(DashboardOptions d, Func<string, string> describe)
    {
        if (!d.Enabled) return;
        IPAddress address;
        try { address = d.BindAddress(); }
        catch (ConfigurationException e) { throw new NodeStartException(NodeStartException.BadInput, e.Message, e); }
        if (d.Port != 0)
            EnsureFree(address, d.Port, $"dashboard port {d.Port} on {d.Host} is in use ({describe(DashboardOptions.Path + ".port")})");
    }

    private static IPAddress Resolve(string host, string key)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        try
        {
            var found = Dns.GetHostAddresses(host);
            // Akka's DotNetty transport prefers IPv4 (dns-use-ipv6 = off).
            return found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
                ?? throw new NodeStartException(NodeStartException.BadInput, $"{key}: host '{host}' resolves to no address");
        }
        catch (SocketException e)
        {
            throw new NodeStartException(NodeStartException.BadInput, $"{key}: cannot resolve host '{host}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Binds the port without SO_REUSEPORT and lets it go: fails while another socket listens there (remoting binds
    /// with tcp-reuse-addr = off, so it would fail too), passes with connections of an earlier run in TIME_WAIT.
    /// </summary>
    private static void EnsureFree(IPAddress address, int port, string inUse)
    {
        var listener = new TcpListener(address, port);
        try { listener.Start(); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new NodeStartException(NodeStartException.BadInput, inUse, e);
        }
        catch (SocketException e)
        {
            throw new NodeStartException(NodeStartException.BadInput, $"{inUse.Replace("is in use", "cannot be bound")}: {e.Message}", e);
        }
        finally { listener.Stop(); }
    }

    /// <summary>
    /// A SQLite file the node will write: when it exists, it must be writable (a file without write permission bits is
    /// refused even for root: someone made it read-only on purpose) and a database that passes quick_check, read through
    /// a read-only connection; when it does not, its folder must be one this node can create files in.
    /// </summary>
    public static void Sqlite(string file, string key)
    {
        var path = Path.GetFullPath(file);
        NodeStartException Bad(string fault, Exception? e = null) => new(NodeStartException.BadInput, $"{key}: '{path}' {fault}", e);
        if (Directory.Exists(path)) throw Bad("is a folder, not a SQLite file");
        if (!File.Exists(path))
        {
            var folder = Path.GetDirectoryName(path)!;
            while (!Directory.Exists(folder)) folder = Path.GetDirectoryName(folder) ?? throw Bad("has no existing parent folder");
            if (!Writable(folder, directory: true)) throw Bad($"cannot be created: the folder '{folder}' is not writable");
            return;
        }
        foreach (var f in new[] { path, path + "-wal", path + "-shm" }.Where(File.Exists))
        {
            if (OperatingSystem.IsWindows()) { if (!Writable(f, directory: false)) throw Bad("is not writable"); continue; }
            var mode = File.GetUnixFileMode(f);
            if ((mode & (UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0)
                throw Bad(f == path ? $"is read-only (mode {Octal(mode)}): the journal must be writable" : $"has a read-only companion '{f}' (mode {Octal(mode)})");
            if (!Writable(f, directory: false)) throw Bad(f == path ? "is not writable by this user" : $"has a companion '{f}' this user cannot write");
        }
        if (!Writable(Path.GetDirectoryName(path)!, directory: true))
            throw Bad("is in a folder this user cannot write (SQLite needs it for the -wal and -shm files)");
        try
        {
            // Read-only, immutable (a read-only open of a WAL database still creates its -wal and -shm files), unpooled:
            // nothing is created, written or left open. The check reads the main file as of its last checkpoint.
            using var c = new SqliteConnection(new SqliteConnectionStringBuilder
                { DataSource = new Uri(path).AbsoluteUri + "?immutable=1", Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA quick_check(1)";
            var result = cmd.ExecuteScalar() as string;
            if (result != "ok") throw Bad($"is damaged: quick_check says '{result}'");
        }
        catch (SqliteException e)
        {
            throw Bad(e.SqliteErrorCode switch
            {
                26 => "is not a SQLite database",
                11 => "is damaged (truncated or overwritten): the database disk image is malformed",
                5 or 6 => "is locked by another process (another node using the same journal?)",
                14 => "cannot be opened",
                _ => $"cannot be read: {e.Message}",
            }, e);
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');

    /// <summary>Whether this user may write there: access(2) semantics through the permission bits and the owner.</summary>
    private static bool Writable(string path, bool directory)
    {
        if (Environment.UserName == "root") return true;
        try
        {
            if (directory)
            {
                var probe = Path.Combine(path, $".nas-write-probe-{Environment.ProcessId}");
                using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
                return true;
            }
            // Opened for writing and closed without a byte written: contents and times stay as they were.
            using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { return false; }
    }

    /// <summary>
    /// Connects and runs <c>SELECT 1</c> within <see cref="PostgresTimeout"/>. Not reached (refused, timed out, name
    /// not resolved, server starting or full): exit code 3. Reached but refused (password, user, database, rights):
    /// exit code 2, a setting to fix.
    /// </summary>
    public static void Postgres(string connectionString, Func<string, string?> environment)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        var timeout = (int)PostgresTimeout.TotalSeconds;
        if (b.Timeout <= 0 || b.Timeout > timeout) b.Timeout = timeout;
        b.CommandTimeout = timeout;
        var source = environment(PostgresPersistence.ConnectionVariable) is { Length: > 0 }
            ? PostgresPersistence.ConnectionVariable : "nas.persistence.postgres.connection-string";
        var where = $"PostgreSQL at {b.Host}:{b.Port}, database '{b.Database}'";
        try
        {
            using var c = new NpgsqlConnection(b.ConnectionString);
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT 1";
            cmd.ExecuteScalar();
        }
        catch (PostgresException e) when (e.SqlState is "57P03" or "53300" or "08006" or "08001")
        {
            throw new NodeStartException(NodeStartException.Unreachable, $"{where} ({source}) does not accept connections now: {e.MessageText}", e);
        }
        catch (PostgresException e) when (e.SqlState is "28P01" or "28000")
        {
            throw new NodeStartException(NodeStartException.BadInput,
                $"{where} ({source}) refused user '{b.Username}': {e.MessageText} (password from {PostgresPersistence.PasswordVariable})", e);
        }
        catch (PostgresException e) when (e.SqlState == "3D000")
        {
            throw new NodeStartException(NodeStartException.BadInput, $"{where} ({source}): the database '{b.Database}' does not exist", e);
        }
        catch (PostgresException e)
        {
            throw new NodeStartException(NodeStartException.BadInput, $"{where} ({source}) refused the node: {e.SqlState} {e.MessageText}", e);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException)
        {
            var cause = e.InnerException is { } inner and (SocketException or TimeoutException or IOException) ? inner.Message : e.Message;
            throw new NodeStartException(NodeStartException.Unreachable, $"{where} ({source}) is unreachable: {cause}", e);
        }
    }
}
