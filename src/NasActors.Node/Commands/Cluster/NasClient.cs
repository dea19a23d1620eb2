using Akka.Actor;
using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Serialization;

namespace NasActors.Node.Commands.Cluster;

/// <summary>The command line's connection to a running node: a small remoting-only actor system that asks the node's API.</summary>
public sealed class NasClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ActorSelection _api;
    private readonly string _node;

    private NasClient(ActorSystem system, string node)
    {
        _system = system;
        _node = node;
        _api = system.ActorSelection($"akka.tcp://nas@{node}/user/{SearchApi.Name}");
    }

    public static NasClient Connect(string node)
    {
        var config = ConfigurationFactory.ParseString(NasSerializer.Hocon + """

            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.remote.log-remote-lifecycle-events = off
            """);
        return new NasClient(ActorSystem.Create("nas-client", config), node);
    }

    public async Task<object> AskAsync(object message, TimeSpan? timeout = null)
    {
        try { return await _api.Ask<object>(message, timeout ?? TimeSpan.FromSeconds(30)); }
        catch (AskTimeoutException)
        {
            throw new InvalidOperationException($"No answer from a node at {_node} (is `nas node` running there? --node host:port).");
        }
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();
}
