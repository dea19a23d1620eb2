using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Transport;

namespace NasActors.Node.Commands.Cluster;

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
        config = Parse(Resolve("persistence-sqlite.conf")).WithFallback(config);
        foreach (var f in files) config = Parse(Resolve(f)).WithFallback(config);
        foreach (var o in overrides)
        {
            try { config = ConfigurationFactory.ParseString(o).WithFallback(config); }
            catch (Exception e) { throw new ArgumentException($"--set '{o}': {e.Message}", e); }
        }
        return config;
    }

    private static Config Parse(string path)
    {
        var text = File.ReadAllText(path);
        if (NasActors.Cluster.Specs.HoconSyntax.Problem(text) is { } problem) throw new ArgumentException($"{path}: {problem}");
        return ConfigurationFactory.ParseString(text);
    }

    /// <summary>Starts a node (Akka.Hosting inside a generic host) with this configuration.</summary>
    public static async Task<(IHost Host, ActorSystem System, IActorRegistry Registry, NasNodeOptions Options)> StartAsync(
        Config config, CancellationToken cancel = default)
    {
        var options = NasNodeOptions.FromConfig(config);
        // TLS when the files ask for it (hocon/tls.conf): a bad certificate setting fails here, naming the key.
        var tls = RemoteTls.FromConfig(config, "node configuration");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("nas", b =>
        {
            // The files' akka.* settings first, the node's own wiring after (it owns persistence and serialization).
            b.AddHocon(config.GetConfig("akka") is { IsEmpty: false } ? config : ConfigurationFactory.Empty, HoconAddMode.Prepend);
            b.AddNasActors(options);
            if (tls is not null) b.WithRemoteTls(tls);
        });
        var host = builder.Build();
        await host.StartAsync(cancel);
        var system = host.Services.GetRequiredService<ActorSystem>();
        var registry = host.Services.GetRequiredService<IActorRegistry>();
        return (host, system, registry, options);
    }
}
