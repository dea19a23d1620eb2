using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Transport;
using NasActors.Node.Commands.Input;

namespace NasActors.Node.Commands.Nodes;

/// <summary>
/// The command line's connection to a running node, local or on another machine: a small remoting-only actor system
/// that asks the node's API (<c>/user/nas-api</c>). It speaks the node's transport: plain TCP, or TLS when the
/// configuration it is given turns it on (hocon/tls.conf: the cluster's certificate, presented to the node, which
/// accepts only a certificate it trusts). It binds the local address that routes to the node, so the node can answer.
/// </summary>
public sealed class NasClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ActorSelection _api;
    private readonly string _node;
    private readonly TimeSpan _timeout;

    private NasClient(ActorSystem system, string address, string node, TimeSpan timeout)
    {
        _system = system;
        _node = node;
        _timeout = timeout;
        _api = system.ActorSelection($"{address}/user/{SearchApi.Name}");
    }

    /// <summary>The address of a node's actor system: <c>akka.tcp://nas@host:port</c>, or <c>akka.ssl.tcp://</c> over TLS.</summary>
    public static string NodeAddress(string node, bool tls) => $"{(tls ? "akka.ssl.tcp" : "akka.tcp")}://nas@{node}";

    /// <param name="node">host:port as the node advertises itself (nas.public-hostname, else nas.hostname, and nas.port).</param>
    /// <param name="config">The client's configuration (the node's files: TLS settings are read from it); null: plain TCP.</param>
    /// <exception cref="UsageException">The TLS settings cannot work (the message names the key).</exception>
    /// <exception cref="ServiceUnreachableException">The host name does not resolve.</exception>
    public static NasClient Connect(string node, TimeSpan? timeout = null, Config? config = null)
    {
        RemoteTlsSettings? tls;
        try { tls = config is null ? null : RemoteTls.FromConfig(config, "client configuration"); }
        catch (RemoteTlsException e) { throw new UsageException(e.Message); }
        var hocon = ConfigurationFactory.ParseString(NasSerializer.Hocon + $$"""

            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "{{LocalAddressTowards(node)}}", port = 0, enable-ssl = {{(tls is null ? "off" : "on")}} }
            akka.remote.log-remote-lifecycle-events = off
            """);
        var bootstrap = BootstrapSetup.Create().WithConfig(tls is null ? hocon : hocon.WithFallback(RemoteTls.Consumed));
        var setup = tls is null ? ActorSystemSetup.Create(bootstrap) : ActorSystemSetup.Create(bootstrap, tls.Setup);
        return new NasClient(ActorSystem.Create("nas-client", setup), NodeAddress(node, tls is not null), node, timeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>This machine's address on the route to <paramref name="node"/> (no packet is sent).</summary>
    private static string LocalAddressTowards(string node)
    {
        var colon = node.LastIndexOf(':');
        var host = node[..colon].Trim('[', ']');
        var port = int.Parse(node[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        IPAddress[] addresses;
        try { addresses = IPAddress.TryParse(host, out var ip) ? [ip] : Dns.GetHostAddresses(host); }
        catch (SocketException e) { throw new ServiceUnreachableException($"--node {node}: the host name '{host}' does not resolve: {e.Message}", e); }
        var target = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ServiceUnreachableException($"--node {node}: the host name '{host}' has no address");
        using var probe = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try { probe.Connect(target, port); }
        catch (SocketException e) { throw new ServiceUnreachableException($"--node {node}: no route to {target}: {e.Message}", e); }
        return ((IPEndPoint)probe.LocalEndPoint!).Address.ToString();
    }

    public async Task<object> AskAsync(object message, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        try { return await _api.Ask<object>(message, timeout ?? _timeout, cancel); }
        catch (AskTimeoutException e)
        {
            throw new ServiceUnreachableException(
                $"no answer from a node at {_node} (is `nas node` running there, advertising this host:port? a node with TLS needs --config tls here too)", e);
        }
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();
}
