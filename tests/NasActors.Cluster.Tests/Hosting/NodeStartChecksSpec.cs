using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Tests.Hosting;

/// <summary>The start-up checks on their own: what passes, and that a pass or a failure creates nothing.</summary>
public sealed class NodeStartChecksSpec : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nas-checks-").FullName;

    [Fact]
    public void A_journal_file_that_does_not_exist_yet_passes_and_is_not_created()
    {
        var file = Path.Combine(_folder, "data", "journal.db");
        NodeStartChecks.Sqlite(file, "nas.persistence.sqlite.journal-file");
        Assert.False(Directory.Exists(Path.Combine(_folder, "data")));
    }

    [Fact]
    public void A_WAL_journal_left_by_a_killed_node_passes_and_its_files_stay_as_they_were()
    {
        var file = Path.Combine(_folder, "journal.db");
        // A writer that never checkpoints or closes cleanly: the -wal holds the rows, as after kill -9.
        var writer = new SqliteConnection($"Data Source={file};Pooling=False");
        writer.Open();
        using (var cmd = writer.CreateCommand())
        {
            cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t (x BLOB); INSERT INTO t VALUES (randomblob(5000));";
            cmd.ExecuteNonQuery();
        }
        var before = Directory.GetFiles(_folder).Order().Select(f => (f, Convert.ToHexString(File.ReadAllBytes(f)))).ToArray();
        NodeStartChecks.Sqlite(file, "nas.persistence.sqlite.journal-file");
        Assert.Equal(before, Directory.GetFiles(_folder).Order().Select(f => (f, Convert.ToHexString(File.ReadAllBytes(f)))).ToArray());
        writer.Dispose();
    }

    [Fact]
    public void A_folder_where_the_journal_file_should_be_is_refused_naming_the_key_and_path()
    {
        var e = Assert.Throws<NodeStartException>(() => NodeStartChecks.Sqlite(_folder, "nas.persistence.sqlite.snapshot-file"));
        Assert.Equal(NodeStartException.BadInput, e.ExitCode);
        Assert.Equal($"nas.persistence.sqlite.snapshot-file: '{_folder}' is a folder, not a SQLite file", e.Message);
    }

    [Fact]
    public void A_remoting_port_held_by_a_listener_is_refused_and_a_free_one_passes()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var e = Assert.Throws<NodeStartException>(() =>
            NodeStartChecks.Remoting(new NasNodeOptions { Port = port }, _ => null, k => k));
        Assert.Equal($"remoting port {port} on 127.0.0.1 is in use (nas.port)", e.Message);
        holder.Stop();
        NodeStartChecks.Remoting(new NasNodeOptions { Port = port }, _ => null, k => k);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
