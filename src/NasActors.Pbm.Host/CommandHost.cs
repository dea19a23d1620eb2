using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using NasActors.Pbm.Host.Palettes;
using NasActors.Pbm.Protocol;

namespace NasActors.Pbm.Host;

/// <summary>
/// The command host of a node: an actor-system extension that listens for pbm clients (<c>nas.pbm</c> block:
/// 127.0.0.1:9110 by default) and serves the palettes that features register with <see cref="Register"/>. It starts
/// the built-in palettes itself: <c>cluster</c> and <c>cluster-sharding</c> (on cluster nodes), <c>actor</c>, <c>log</c>.
/// A host that cannot start (port taken, a non-loopback address without token) logs why and records it in
/// <see cref="Failure"/>; `nas node` checks both before it starts (NodeStartChecks) and exits when the host still failed.
/// </summary>
public sealed class CommandHost : IExtension, IAsyncDisposable
{
    private readonly ExtendedActorSystem _system;
    private readonly ConcurrentDictionary<string, CommandPalette> _palettes = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _order = [];
    private readonly CommandServer? _server;

    public static CommandHost Get(ActorSystem system) => system.WithExtension<CommandHost, CommandHostProvider>();

    public CommandHost(ExtendedActorSystem system)
    {
        _system = system;
        var log = Logging.GetLogger(system, "pbm-host");
        Settings = CommandHostSettings.From(system.Settings.Config);
        Register(ActorPalette.Create());
        Register(LogPalette.Create(system));
        if (system.Provider is IClusterActorRefProvider)
        {
            Register(ClusterPalette.Create());
            Register(ShardingPalette.Create());
        }
        if (!Settings.Enabled) return;
        try
        {
            var node = system.Provider.DefaultAddress.ToString();
            _server = new CommandServer(Settings, node, () => Palettes, Handler, args => new CommandRequest(system, args), log);
            Endpoint = _server.Endpoint;
            if (Settings.LogPalettesOnStartup)
                log.Info("pbm host listening on {0}; palettes: {1}", Endpoint, string.Join(", ", Palettes.Select(p => p.Name)));
            system.RegisterOnTermination(() => _server.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5)));
        }
        catch (Exception e) when (e is Akka.Configuration.ConfigurationException or System.Net.Sockets.SocketException)
        {
            Failure = e.Message;
            log.Error("pbm host not started: {0}", e.Message);
        }
    }

    public CommandHostSettings Settings { get; }

    /// <summary>Where the host listens (port 0 in the settings: the port the system chose); null when it did not start.</summary>
    public IPEndPoint? Endpoint { get; }

    /// <summary>Client connections open now.</summary>
    public int Connections => _server?.Connections ?? 0;

    /// <summary>Why the host did not start, or null.</summary>
    public string? Failure { get; }

    public IReadOnlyList<PaletteDefinition> Palettes
    {
        get { lock (_order) return _order.Select(n => _palettes[n].Definition).ToArray(); }
    }

    /// <summary>Adds a palette (or replaces one of the same name); clients that connect afterwards see it.</summary>
    public CommandHost Register(CommandPalette palette)
    {
        lock (_order)
        {
            if (!_palettes.ContainsKey(palette.Name)) _order.Add(palette.Name);
            _palettes[palette.Name] = palette;
        }
        return this;
    }

    private CommandHandler? Handler(string palette, string command) =>
        _palettes.TryGetValue(palette, out var p) ? p.Handler(command) : null;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

public sealed class CommandHostProvider : ExtensionIdProvider<CommandHost>
{
    public override CommandHost CreateExtension(ExtendedActorSystem system) => new(system);
}
