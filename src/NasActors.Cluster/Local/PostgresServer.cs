using System.Diagnostics;
using Npgsql;

namespace NasActors.Cluster.Local;

/// <summary>
/// A throw-away PostgreSQL server on a loopback port, in a temp folder, with password (SCRAM) authentication, so
/// that nodes really read the password from NAS_POSTGRES_PASSWORD (integration tests, <c>nas bench-recovery</c>). PostgreSQL refuses to run as root: as root, the
/// server runs as the <c>postgres</c> user (runuser). Stopped and deleted on dispose, also when a test fails.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string Password = "nas-test-password";
    private readonly string _folder;
    private bool _running;

    public int Port { get; }
    public string Database => "nas";
    /// <summary>Without the password: nodes get it from NAS_POSTGRES_PASSWORD.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database={Database};Username=nas;Pooling=true;Timeout=5";

    public IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string>
    {
        ["NAS_POSTGRES_CONNECTION"] = ConnectionString,
        ["NAS_POSTGRES_PASSWORD"] = Password,
    };

    public static string BinFolder
    {
        get
        {
            if (Environment.GetEnvironmentVariable("NAS_PG_BIN") is { Length: > 0 } bin) return bin;
            var found = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
                : null;
            return found ?? throw new InvalidOperationException(
                "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (apt-get install postgresql-15, or set NAS_PG_BIN).");
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    public PostgresServer()
    {
        _folder = Directory.CreateTempSubdirectory("nas-pg-").FullName;
        Port = NasProcess.FreePort();
        try
        {
            var pwfile = Path.Combine(_folder, "pw");
            File.WriteAllText(pwfile, Password);
            if (IsRoot) Run("chown", "-R", "postgres", _folder);
            Postgres("initdb", "-D", DataFolder, "-U", "nas", "--auth=scram-sha-256", "--pwfile=" + pwfile, "-E", "UTF8", "--no-sync");
            File.Delete(pwfile);
            Start();
            using var c = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Database=postgres;Username=nas;Password={Password}");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE DATABASE nas";
            cmd.ExecuteNonQuery();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private string DataFolder => Path.Combine(_folder, "data");

    /// <summary>Starts the server (again) on the same data and port.</summary>
    public void Start()
    {
        Postgres("pg_ctl", "-D", DataFolder, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60",
            "-o", $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start");
        _running = true;
    }

    /// <summary>Stops the server (fast: open connections are cut).</summary>
    public void Stop()
    {
        if (!_running) return;
        Postgres("pg_ctl", "-D", DataFolder, "-w", "-t", "60", "-m", "fast", "stop");
        _running = false;
    }

    public string Log => File.Exists(Path.Combine(_folder, "server.log")) ? File.ReadAllText(Path.Combine(_folder, "server.log")) : "";

    private void Postgres(string tool, params string[] args)
    {
        var exe = Path.Combine(BinFolder, tool);
        if (IsRoot) Run("runuser", ["-u", "postgres", "--", exe, .. args]);
        else Run(exe, args);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 120 s"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout.Result}");
    }

    public void Dispose()
    {
        try { Stop(); }
        catch (Exception) { /* best effort: the folder goes anyway */ }
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
