using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Specs;
using NasActors.Dashboard;
using NasActors.Node.Commands.Input;

namespace NasActors.Node.Commands.Nodes;

/// <summary>
/// A node inside the command's own process (quickstart, rank-study, bench-actors): its journal, snapshots, checkpoints
/// and exports under one folder, its search API asked through the registry, and a search followed on its event stream
/// from submission to its end. Disposing it stops the node.
/// </summary>
public sealed class InProcessNode : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly IActorRef _api;

    private InProcessNode(IHost host, ActorSystem system, IActorRef api)
    {
        _host = host;
        System = system;
        _api = api;
    }

    public ActorSystem System { get; }

    /// <summary>host:port the node advertises (for <c>--node</c>).</summary>
    public string Endpoint => ((ExtendedActorSystem)System).Provider.DefaultAddress is var a ? $"{a.Host}:{a.Port}" : "";

    /// <summary>The dashboard's address when the configuration turned it on.</summary>
    public Uri? Dashboard => _host.Services.GetService<DashboardServer>()?.Address;

    /// <summary>
    /// Starts a node from hocon/base.conf, <paramref name="files"/> and <paramref name="overrides"/> (later win), its
    /// stored files in <paramref name="folder"/>: journal.db, snapshots.db, checkpoints/ and, unless
    /// <paramref name="exports"/> is false, exports/.
    /// </summary>
    public static async Task<InProcessNode> StartAsync(string folder, IEnumerable<string> files, IEnumerable<string> overrides,
        CancellationToken cancel, bool exports = true)
    {
        string Quoted(string name) => $"\"{Path.Combine(folder, name)}\"";
        var config = NodeConfig.Load(files,
        [
            $"nas.checkpoint-folder = {Quoted("checkpoints")}",
            $"nas.population.export-folder = {(exports ? Quoted("exports") : "\"\"")}",
            $"nas.persistence.sqlite.journal-file = {Quoted("journal.db")}",
            $"nas.persistence.sqlite.snapshot-file = {Quoted("snapshots.db")}",
            .. overrides,
        ]);
        var (host, system, registry, _) = await NodeConfig.StartAsync(config, cancel);
        return new InProcessNode(host, system, registry.Get<SearchApiKey>());
    }

    /// <summary>Asks the node's search API (<c>/user/nas-api</c>), as a remote client would.</summary>
    public Task<object> AskAsync(object message, TimeSpan timeout, CancellationToken cancel = default) =>
        _api.Ask<object>(message, timeout, cancel);

    /// <summary>
    /// Submits the search and waits for its end, handing each of its progress events to <paramref name="progress"/>
    /// (on the actor system's thread, in order); returns its last event (completed, failed or cancelled).
    /// </summary>
    /// <exception cref="CommandFailedException">The node did not accept the search.</exception>
    public async Task<SearchProgressed> RunSearchAsync(string id, SearchSpec spec, Action<SearchProgressed> progress, CancellationToken cancel)
    {
        var done = new TaskCompletionSource<SearchProgressed>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Subscribed before the submission, so no event of the search is missed.
        var watcher = System.ActorOf(Props.Create(() => new SearchWatcher(id, progress, done)));
        System.EventStream.Subscribe(watcher, typeof(SearchProgressed));
        try
        {
            var reply = await AskAsync(new SearchCommands.SubmitSearch(id, spec), TimeSpan.FromSeconds(30), cancel);
            if (reply is not SearchReplies.SearchAccepted) throw new CommandFailedException($"search {id} was not accepted: {reply}");
            return await done.Task.WaitAsync(cancel);
        }
        finally { System.Stop(watcher); }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }

    /// <summary>Hands one search's progress events on and ends the wait at its final one.</summary>
    private sealed class SearchWatcher : ReceiveActor
    {
        public SearchWatcher(string id, Action<SearchProgressed> progress, TaskCompletionSource<SearchProgressed> done) =>
            Receive<SearchProgressed>(p => p.SearchId == id, p =>
            {
                progress(p);
                // A pause or resume publishes its status as its kind; only an ending kind in a final status ends the run.
                if (SearchStatusNames.IsFinal(p.Status) && p.Kind is SearchProgressKinds.Completed or SearchProgressKinds.Failed or SearchStatusNames.Cancelled)
                    done.TrySetResult(p);
            });
    }
}
