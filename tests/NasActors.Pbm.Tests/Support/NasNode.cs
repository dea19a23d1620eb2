using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NasActors.Pbm.Host;
using NasActors.Cluster.Hosting;

namespace NasActors.Pbm.Tests.Support;

/// <summary>
/// A NasActors node as `nas node` wires it (AddNasActors: persistence on SQLite files, the search region, evaluation
/// queue and evaluators, the API and the pbm host), in this process, on the stub backends and loopback port 0.
/// </summary>
public sealed class NasNode : IAsyncDisposable
{
    private readonly IHost _host;

    private NasNode(IHost host, string folder)
    {
        _host = host;
        Folder = folder;
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public ActorSystem System { get; }
    public string Folder { get; }
    public string Pbm => $"127.0.0.1:{CommandHost.Get(System).Endpoint!.Port}";
    public ActorSelection Api => System.ActorSelection($"/user/{SearchApi.Name}");

    public static async Task<NasNode> StartAsync(TimeSpan stubStepCost, int evaluators = 2)
    {
        var folder = Directory.CreateTempSubdirectory("nas-pbm-tests-").FullName;
        var options = new NasNodeOptions
        {
            Port = 0,
            Evaluators = evaluators,
            JournalFile = Path.Combine(folder, "journal.db"),
            SnapshotFile = Path.Combine(folder, "snapshots.db"),
            CheckpointFolder = Path.Combine(folder, "checkpoints"),
            Backend = NodeBackend.Stub,
            StubStepCost = stubStepCost,
            SearchActor = new NasActors.Cluster.Searches.SearchActorSettings { ExportFolder = null },
        };
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("nas", b =>
        {
            b.AddHocon(ConfigurationFactory.ParseString("""
                nas.pbm { port = 0, idle-timeout = 5s }
                akka.loglevel = INFO
                akka.stdout-loglevel = WARNING
                akka.persistence.query.journal.sql.refresh-interval = 200ms
                akka.coordinated-shutdown.exit-clr = off
                """), HoconAddMode.Prepend);
            b.AddNasActors(options);
        });
        var host = builder.Build();
        await host.StartAsync();
        var node = new NasNode(host, folder);
        await Eventually.HoldsAsync(() => CommandHost.Get(node.System).Palettes.Any(p => p.Name == "nas"), "the nas palette registered");
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(20));
        _host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
