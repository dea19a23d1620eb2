using Akka.Actor;
using Akka.Configuration;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Serialization;

namespace NasActors.Node.Commands.Nodes;

/// <summary>The command line's connection to a running node: a small remoting-only actor system that asks the node's API.</summary>
public sealed class NasClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly ActorSelection _api;
    private readonly string _node;
    private readonly TimeSpan _timeout;

    private NasClient(ActorSystem system, string node, TimeSpan timeout)
    {
        _system = system;
        _node = node;
        _timeout = timeout;
        _api = system.ActorSelection($"akka.tcp://nas@{node}/user/{SearchApi.Name}");
    }

    public static NasClient Connect(string node, TimeSpan? timeout = null)
    {
        var config = ConfigurationFactory.ParseString(NasSerializer.Hocon + """

            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.remote.log-remote-lifecycle-events = off
            """);
        return new NasClient(ActorSystem.Create("nas-client", config), node, timeout ?? TimeSpan.FromSeconds(30));
    }

    public async Task<object> AskAsync(object message, TimeSpan? timeout = null)
    {
        try { return await _api.Ask<object>(message, timeout ?? _timeout); }
        catch (AskTimeoutException e)
        {
            throw new ServiceUnreachableException($"no answer from a node at {_node} (is `nas node` running there? --node host:port)", e);
        }
    }

    public async ValueTask DisposeAsync() => await _system.Terminate();
}
