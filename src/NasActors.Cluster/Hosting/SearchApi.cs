using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Akka.Event;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Protocol;
using static NasActors.Cluster.Persistence.CatalogProtocol;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// The node's front door (<c>/user/nas-api</c>), for the command line and other nodes: forwards search commands and
/// queries to the search region, answers listings from the journal projection, and at start wakes every search that
/// is not finished, so a restarted node goes on where the journal stops.
/// </summary>
public sealed class SearchApi : ReceiveActor
{
    public const string Name = "nas-api";

    private readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props(IActorRef searches, SearchCatalog catalog, bool wakeOnStart) =>
        Akka.Actor.Props.Create(() => new SearchApi(searches, catalog, wakeOnStart));

    public SearchApi(IActorRef searches, SearchCatalog catalog, bool wakeOnStart)
    {
        // An id the region cannot route (empty) or that could name a path is answered here: the region would drop an
        // empty one without a word, and the asker would only see its own timeout.
        Receive<SearchCommands.SubmitSearch>(m => !SearchIds.IsValid(m.SearchId), m =>
            Sender.Tell(new SearchReplies.SearchRejected(m.SearchId, new InvalidSearchIdException(m.SearchId ?? "", SearchIds.Problem(m.SearchId)!).Message)));
        Receive<IWithSearchId>(m => !SearchIds.IsValid(m.SearchId), m => Sender.Tell(new SearchReplies.NoSuchSearch(m.SearchId)));
        Receive<IWithSearchId>(m =>
        {
            // A remote asker (the command line) is answered through this node: it binds a loopback address, which the
            // node hosting the search actor, when it is another machine (or network namespace), cannot reach.
            if (Sender.Path.Address.HasLocalScope) searches.Forward(m);
            else Context.ActorOf(Relay.Props(searches, m, Sender));
        });
        Receive<ListSearches>(_ => catalog.ListAsync().PipeTo(Sender, success: l => new SearchList(l)));
        Receive<GetSummary>(g => catalog.GetAsync(g.SearchId).PipeTo(Sender,
            success: s => s is null ? new SearchReplies.NoSuchSearch(g.SearchId) : s));
        Receive<SearchList>(l =>
        {
            foreach (var s in l.Searches.Where(s => !SearchStatusNames.IsFinal(s.Status)))
            {
                _log.Info("Waking search {0} ({1}, {2} evaluated)", s.SearchId, s.Status, s.Evaluated);
                searches.Tell(new SearchCommands.WakeSearch(s.SearchId));
            }
        });
        Receive<Status.Failure>(f => _log.Error(f.Cause, "Cannot list searches to wake"));
        Receive<SearchReplies.SearchStatus>(_ => { });
        Receive<SearchReplies.NoSuchSearch>(_ => { });
        // A member removed (crashed, or downed on the other side of a partition) may have taken a search's population
        // and the job queue with it, and with them every message that would start it again: the queue keeps no jobs,
        // and results in flight to it are lost. The partition tests saw such a search wait forever; waking the
        // unfinished searches here starts them on the survivors (through the region, so only after the coordinator
        // has moved: after down-removal-margin).
        Receive<ClusterEvent.MemberRemoved>(_ => catalog.ListAsync().PipeTo(Self, success: l => new SearchList(l)));
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        if (wakeOnStart) catalog.ListAsync().PipeTo(Self, success: l => new SearchList(l));
        _watchesMembers = wakeOnStart && ((ExtendedActorSystem)Context.System).Provider is ClusterActorRefProvider;
        if (_watchesMembers)
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot,
                typeof(ClusterEvent.MemberRemoved));
    }

    private readonly bool _watchesMembers;

    protected override void PostStop()
    {
        if (_watchesMembers) Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}

/// <summary>Registration of the node's API.</summary>
public static class SearchApiHosting
{
    /// <summary>
    /// <c>/user/nas-api</c> under <see cref="SearchApiKey"/> on every node; nodes without the controller role have
    /// no journal of their own to wake searches from.
    /// </summary>
    public static AkkaConfigurationBuilder AddSearchApi(this AkkaConfigurationBuilder builder, NasNodeOptions o) =>
        builder.WithActors((system, registry) => registry.Register<SearchApiKey>(system.ActorOf(
            SearchApi.Props(registry.Get<SearchRegion>(), new SearchCatalog(system), wakeOnStart: o.Roles.Contains(NasRoles.Controller)),
            SearchApi.Name)));
}

/// <summary>Sends one message to the search region and hands the first answer to the asker (gives up after two minutes).</summary>
internal sealed class Relay : ReceiveActor, IWithTimers
{
    private sealed record GiveUp
    {
        public static GiveUp Instance { get; } = new();
    }

    private readonly IActorRef _target;
    private readonly object _message;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef target, object message, IActorRef asker) =>
        Akka.Actor.Props.Create(() => new Relay(target, message, asker));

    public Relay(IActorRef target, object message, IActorRef asker)
    {
        _target = target;
        _message = message;
        Receive<GiveUp>(_ => Context.Stop(Self));
        ReceiveAny(answer =>
        {
            asker.Tell(answer);
            Context.Stop(Self);
        });
    }

    protected override void PreStart()
    {
        Timers.StartSingleTimer("give-up", GiveUp.Instance, TimeSpan.FromMinutes(2));
        _target.Tell(_message);
    }
}
