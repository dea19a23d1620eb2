using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Transport;
using NasActors.Dashboard;

namespace NasActors.Node.Commands.Nodes;

/// <summary>
/// Loads a node's HOCON: hocon/base.conf, hocon/persistence-sqlite.conf, then the files given (later wins), then
/// <c>key = value</c> overrides. Files named without a folder are looked up in hocon/ next to the executable.
/// </summary>
public static class NodeConfig
{
    public static string HoconFolder => Path.Combine(AppContext.BaseDirectory, "hocon");

    public static string Resolve(string file)
    {
        if (File.Exists(file)) return Path.GetFullPath(file);
        var inHocon = Path.Combine(HoconFolder, file);
        if (File.Exists(inHocon)) return inHocon;
        if (File.Exists(inHocon + ".conf")) return inHocon + ".conf";
        throw new FileNotFoundException($"Configuration file '{file}' not found (looked here and in {HoconFolder}).", file);
    }

    public static Config Load(IEnumerable<string> files, IEnumerable<string> overrides)
    {
        var config = Parse(Resolve("base.conf")).WithFallback(ConfigurationFactory.Empty);
        foreach (var f in (string[])["persistence-sqlite.conf", .. files])
        {
            var path = Resolve(f);
            config = Over(Parse(path), config, path);
        }
        foreach (var o in overrides)
        {
            Config parsed;
            try { parsed = ConfigurationFactory.ParseString(o); }
            catch (Exception e) { throw new ArgumentException($"--set '{o}': {e.Message}", e); }
            config = Over(parsed, config, $"--set '{o}'");
        }
        return config;
    }

    /// <summary>
    /// <paramref name="over"/> with <paramref name="under"/> as its fallback, refusing a key that is a block on one side
    /// and a value on the other: Akka merges those into a configuration that throws far from the key, or drops one side.
    /// </summary>
    private static Config Over(Config over, Config under, string source)
    {
        if (!over.IsEmpty && !under.IsEmpty && ShapeConflict(over.Root.GetObject(), under, "") is { } key)
            throw new ArgumentException($"{source}: {key} is " + (under.GetValue(key).IsObject()
                ? "a block { ... } in the configuration, not a single value or a list"
                : "a single value or a list in the configuration, not a block { ... }"));
        return over.WithFallback(under);
    }

    private static string? ShapeConflict(Akka.Configuration.Hocon.HoconObject obj, Config under, string prefix)
    {
        foreach (var (name, value) in obj.Items)
        {
            var key = prefix + name;
            // A key with a dot or a quote in its name cannot be looked up as a path: nothing to compare.
            if (name.Contains('.') || name.Contains('"') || !under.HasPath(key) || under.GetValue(key) is not { IsEmpty: false } old) continue;
            if (value.IsObject() != old.IsObject()) return key;
            if (value.IsObject() && ShapeConflict(value.GetObject(), under, key + ".") is { } inner) return inner;
        }
        return null;
    }

    private static Config Parse(string path)
    {
        var text = File.ReadAllText(path);
        if (NasActors.Cluster.Specs.HoconSyntax.Problem(text) is { } problem) throw new ArgumentException($"{path}: {problem}");
        return ConfigurationFactory.ParseString(text, Include(path));
    }

    /// <summary>An <c>include "file"</c> is read beside the including file (or in hocon/); a missing one is an error naming both.</summary>
    private static Func<string, Akka.Configuration.Hocon.HoconRoot> Include(string from) => name =>
    {
        var folder = Path.GetDirectoryName(from)!;
        var file = new[] { Path.Combine(folder, name), Path.Combine(HoconFolder, name) }.FirstOrDefault(File.Exists)
            ?? throw new ArgumentException($"{from}: include \"{name}\": no such file (looked in {folder} and {HoconFolder})");
        var text = File.ReadAllText(file);
        if (NasActors.Cluster.Specs.HoconSyntax.Problem(text) is { } problem) throw new ArgumentException($"{file}: {problem}");
        return Akka.Configuration.Hocon.Parser.Parse(text, Include(file));
    };

    /// <summary>Starts a node (Akka.Hosting inside a generic host) with this configuration.</summary>
    /// <param name="adjust">Changes the options read from the configuration (a rejoin's seed nodes).</param>
    /// <exception cref="NodeStartException">The node cannot start here (<see cref="NodeStartChecks"/>); nothing was created or changed.</exception>
    public static async Task<(IHost Host, ActorSystem System, IActorRegistry Registry, NasNodeOptions Options)> StartAsync(
        Config config, CancellationToken cancel = default, Func<NasNodeOptions, NasNodeOptions>? adjust = null)
    {
        var options = NasNodeOptions.FromConfig(config);
        if (adjust is not null) options = adjust(options);
        // TLS when the files ask for it (hocon/tls.conf): a bad certificate setting fails here, naming the key.
        RemoteTlsSettings? tls;
        try { tls = RemoteTls.FromConfig(config, "node configuration"); }
        catch (RemoteTlsException e) { throw new NodeStartException(NodeStartException.BadInput, e.Message, e); }
        // Ports, journal: before anything starts or is written (the one place for start-up checks).
        NodeStartChecks.Run(config, options, Environment.GetEnvironmentVariable);
        // One process per SQLite journal (JournalLock), held as long as the node's host.
        var journalLock = options.PersistenceBackend == PersistenceBackend.Sqlite ? JournalLock.Acquire(options.JournalFile) : null;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // The command owns Ctrl+C and SIGTERM (NasApp cancels its token, and it stops the node in order); the generic
        // host's console lifetime would stop the node underneath it, leaving it waiting on a stopped actor system.
        builder.Services.AddSingleton<IHostLifetime, CommandOwnedLifetime>();
        builder.Services.AddAkka("nas", b =>
        {
            // The files' akka.* settings first, the node's own wiring after (it owns persistence and serialization).
            b.AddHocon(config.GetConfig("akka") is { IsEmpty: false } ? config : ConfigurationFactory.Empty, HoconAddMode.Prepend);
            b.AddNasActors(options);
            if (tls is not null) b.WithRemoteTls(tls);
        });
        builder.Services.AddNasDashboard(options.Dashboard); // after AddAkka: it starts once the actor system is up
        // The host owns the journal's lock: disposing it (after its actor system has stopped) lets the next one in.
        if (journalLock is not null) builder.Services.AddSingleton(_ => journalLock);
        IHost? host = null;
        try
        {
            host = builder.Build();
            if (journalLock is not null) host.Services.GetRequiredService<JournalLock>(); // created, so the container disposes it
            await host.StartAsync(cancel);
        }
        catch (Exception e)
        {
            host?.Dispose();
            journalLock?.Dispose();
            if (e is NodeStartException) throw;
            // Another process took the port between the check and the bind.
            if (AddressInUse(e))
                throw new NodeStartException(NodeStartException.BadInput, $"remoting port {options.Port} on {options.Hostname} is in use (nas.port)", e);
            throw;
        }
        var system = host.Services.GetRequiredService<ActorSystem>();
        var registry = host.Services.GetRequiredService<IActorRegistry>();
        return (host, system, registry, options);
    }

    private static bool AddressInUse(Exception e) => e switch
    {
        System.Net.Sockets.SocketException s => s.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse,
        AggregateException a => a.InnerExceptions.Any(AddressInUse),
        _ => e.InnerException is { } inner && AddressInUse(inner),
    };
}

/// <summary>A host lifetime that leaves signals to the command (<see cref="NasApp"/>): start and stop do nothing more.</summary>
internal sealed class CommandOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
