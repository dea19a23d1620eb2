using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.Cluster;
using Akka.Persistence.Query;
using Akka.Streams;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Training;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Dashboard;

/// <summary>One point of a supernet's training curve as the population reported it.</summary>
public sealed record TrainingPoint(long Step, long Steps, double Loss, double Accuracy, double ImagesPerSecond, DateTimeOffset At);

/// <summary>A server-sent event: its name and its JSON data.</summary>
public sealed record FeedEvent(string Name, string Data);

/// <summary>
/// What the dashboard learns from the node's event stream, the stream the CLI's progress printer reads: search progress
/// (<see cref="SearchProgressed"/>), supernet progress (<see cref="TrainingProtocol.TrainingProgressed"/>), journal write
/// failures (<see cref="SearchReplies.PersistenceFailed"/>) and membership. It keeps per search the time each evaluation
/// was recorded and the training curve, and pushes changes to the connected pages (coalesced every 250 ms, so a
/// search that records thousands of results a second costs the pages a few messages). Pages that are open also get
/// the cluster's view and the status of searches hosted on other nodes every <see cref="RefreshEvery"/> (asked of the
/// actors, not read from the journal).
/// </summary>
public sealed class DashboardFeed : IDisposable
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan PingEvery = TimeSpan.FromSeconds(15);
    private const int CurveLimit = 2000;

    private readonly ActorSystem _system;
    private readonly IActorRef _tap;
    private readonly ConcurrentDictionary<Guid, Channel<FeedEvent>> _subscribers = new();
    private readonly ConcurrentDictionary<string, SearchProgressed> _pending = new();
    private readonly ConcurrentDictionary<string, List<DateTimeOffset>> _times = new();
    private readonly ConcurrentDictionary<string, List<TrainingPoint>> _curves = new();
    private readonly ConcurrentDictionary<string, int> _journalFailures = new();
    private readonly ConcurrentDictionary<Address, DateTimeOffset> _upSince = new();
    private readonly ConcurrentDictionary<string, string> _lastSent = new();
    private readonly CancellationTokenSource _stop = new();
    private int _membershipChanged;

    public DashboardFeed(ActorSystem system)
    {
        _system = system;
        _tap = system.ActorOf(Props.Create(() => new Tap(this)), "dashboard-feed");
        system.EventStream.Subscribe(_tap, typeof(SearchProgressed));
        system.EventStream.Subscribe(_tap, typeof(TrainingProtocol.TrainingProgressed));
        system.EventStream.Subscribe(_tap, typeof(SearchReplies.PersistenceFailed));
        Akka.Cluster.Cluster.Get(system).Subscribe(_tap, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        _ = FlushLoop(_stop.Token);
    }

    /// <summary>Called every <see cref="RefreshEvery"/> (and on membership changes) while a page is open; it sends what changed.</summary>
    public Func<CancellationToken, Task>? Refresh { get; set; }

    /// <summary>When this node's dashboard started watching (the node's start, give or take a second).</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public int Subscribers => _subscribers.Count;

    public DateTimeOffset? UpSince(Address member) => _upSince.TryGetValue(member, out var t) ? t : null;

    public IReadOnlyDictionary<string, int> JournalFailures => _journalFailures;

    /// <summary>The latest supernet progress of each search this node hosts.</summary>
    public TrainingPoint? LastTraining(string searchId)
    {
        if (!_curves.TryGetValue(searchId, out var c)) return null;
        lock (c) return c.Count == 0 ? null : c[^1];
    }

    public IReadOnlyDictionary<string, TrainingPoint> LastTrainings() =>
        _curves.Keys.Select(k => (k, LastTraining(k))).Where(x => x.Item2 is not null).ToDictionary(x => x.k, x => x.Item2!);

    public IReadOnlyList<TrainingPoint> Curve(string searchId)
    {
        if (!_curves.TryGetValue(searchId, out var c)) return [];
        lock (c) return c.ToArray();
    }

    /// <summary>Evaluations recorded per second over the last <paramref name="window"/> (0 when none).</summary>
    public double EvaluationsPerSecond(string searchId, TimeSpan window)
    {
        if (!_times.TryGetValue(searchId, out var t)) return 0;
        var since = DateTimeOffset.UtcNow - window;
        lock (t) return t.Count(x => x >= since) / window.TotalSeconds;
    }

    /// <summary>
    /// When each evaluation of the search was recorded, in the order of its results: the journal's timestamps for those
    /// recorded before this node watched (read once per search), the arrival of progress messages after.
    /// </summary>
    public async Task<IReadOnlyList<DateTimeOffset>> TimesAsync(string searchId, CancellationToken cancel)
    {
        if (!_times.ContainsKey(searchId))
        {
            var stored = await StoredTimesAsync(searchId, cancel);
            _times.AddOrUpdate(searchId, _ => stored, (_, live) =>
            {
                lock (live) return [.. stored, .. live.Skip(stored.Count)];
            });
        }
        var times = _times[searchId];
        lock (times) return times.ToArray();
    }

    /// <summary>Notes that the search has recorded <paramref name="evaluated"/> results by now (progress message or status).</summary>
    public void Evaluated(string searchId, int evaluated)
    {
        var times = _times.GetOrAdd(searchId, _ => []);
        lock (times)
        {
            var now = DateTimeOffset.UtcNow;
            while (times.Count < evaluated) times.Add(now);
        }
    }

    private async Task<List<DateTimeOffset>> StoredTimesAsync(string searchId, CancellationToken cancel)
    {
        var journal = (ICurrentEventsByPersistenceIdQuery)PersistenceQuery.Get(_system).ReadJournalFor<IReadJournal>("akka.persistence.query.journal.sql");
        var resolved = new HashSet<int>();
        return await journal.CurrentEventsByPersistenceId(SearchActor.PersistenceIdOf(searchId), 0, long.MaxValue)
            .RunAggregate(new List<DateTimeOffset>(), (l, env) =>
            {
                // The same resolution rule as the search's history: a job counts once, successes and final failures.
                var job = env.Event switch
                {
                    EvaluationRecorded r => r.JobId,
                    EvaluationFailed { Final: true } f => f.JobId,
                    _ => -1,
                };
                if (job >= 0 && resolved.Add(job)) l.Add(DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(0, env.Timestamp)));
                return l;
            }, _system.Materializer()).WaitAsync(cancel);
    }

    /// <summary>A page's subscription: the events for it, until it goes away.</summary>
    public async IAsyncEnumerable<FeedEvent> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        if (_stop.IsCancellationRequested) yield break; // the node is stopping: a reconnecting page gets an empty feed
        var channel = Channel.CreateBounded<FeedEvent>(new BoundedChannelOptions(512) { FullMode = BoundedChannelFullMode.DropOldest });
        var id = Guid.NewGuid();
        _subscribers[id] = channel;
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancel, _stop.Token);
        try
        {
            while (true)
            {
                FeedEvent e;
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(reading.Token) || !channel.Reader.TryRead(out e!)) break;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested && !cancel.IsCancellationRequested) { break; }
                yield return e;
            }
        }
        finally { _subscribers.TryRemove(id, out _); }
    }

    private void Broadcast(FeedEvent e)
    {
        foreach (var c in _subscribers.Values) c.Writer.TryWrite(e);
    }

    /// <summary>Sends the event unless the same data went out last time under this key.</summary>
    public bool BroadcastIfChanged(string key, FeedEvent e)
    {
        if (_lastSent.TryGetValue(key, out var last) && last == e.Data) return false;
        _lastSent[key] = e.Data;
        Broadcast(e);
        return true;
    }

    private async Task FlushLoop(CancellationToken cancel)
    {
        var lastRefresh = DateTime.MinValue;
        var lastPing = DateTime.UtcNow;
        using var timer = new PeriodicTimer(FlushEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancel))
            {
                if (_subscribers.IsEmpty) { _pending.Clear(); continue; }
                // A comment line now and then: proxies keep the connection of a page left open for days, and a page
                // that went away without closing is noticed (the write fails) and dropped.
                if (DateTime.UtcNow - lastPing >= PingEvery)
                {
                    lastPing = DateTime.UtcNow;
                    Broadcast(new FeedEvent("ping", ""));
                }
                foreach (var id in _pending.Keys.ToArray())
                    if (_pending.TryRemove(id, out var p))
                        Broadcast(new FeedEvent("progress", JsonSerializer.Serialize(new
                        {
                            searchId = p.SearchId, kind = p.Kind, status = p.Status, evaluated = p.Evaluated, budget = p.Budget,
                            trainingStep = p.TrainingStep, trainingSteps = p.TrainingSteps, bestAccuracy = Finite(p.BestAccuracy), message = p.Message,
                        }, DashboardJson.Options)));
                var refresh = Interlocked.Exchange(ref _membershipChanged, 0) == 1 || DateTime.UtcNow - lastRefresh >= RefreshEvery;
                if (refresh && Refresh is { } r)
                {
                    lastRefresh = DateTime.UtcNow;
                    try
                    {
                        await r(cancel);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        _system.Log.Warning("Dashboard: refreshing the cluster view failed: {0}", e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    internal static double? Finite(double? v) => v is { } d && double.IsFinite(d) ? d : null;

    private void On(object message)
    {
        switch (message)
        {
            case SearchProgressed p:
                Evaluated(p.SearchId, p.Evaluated);
                _pending[p.SearchId] = p;
                break;
            case TrainingProtocol.TrainingProgressed t:
                var curve = _curves.GetOrAdd(t.SearchId, _ => []);
                lock (curve)
                {
                    if (curve.Count > 0 && curve[^1].Step > t.Step) curve.Clear(); // training started again from an earlier checkpoint
                    curve.Add(new TrainingPoint(t.Step, t.Steps, t.Loss, t.Accuracy, t.ImagesPerSecond, DateTimeOffset.UtcNow));
                    // Long trainings: keep every other point of the older half, so memory stays bounded and the shape stays.
                    if (curve.Count > CurveLimit)
                    {
                        var half = curve.Count / 2;
                        var thinned = curve.Take(half).Where((_, i) => i % 2 == 0).Concat(curve.Skip(half)).ToList();
                        curve.Clear();
                        curve.AddRange(thinned);
                    }
                }
                break;
            case SearchReplies.PersistenceFailed f:
                _journalFailures.AddOrUpdate(f.SearchId, 1, (_, n) => n + 1);
                break;
            case ClusterEvent.MemberUp up:
                _upSince.TryAdd(up.Member.Address, DateTimeOffset.UtcNow);
                Interlocked.Exchange(ref _membershipChanged, 1);
                break;
            case ClusterEvent.MemberRemoved removed:
                _upSince.TryRemove(removed.Member.Address, out _);
                Interlocked.Exchange(ref _membershipChanged, 1);
                break;
            case ClusterEvent.IClusterDomainEvent:
                Interlocked.Exchange(ref _membershipChanged, 1);
                break;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _system.EventStream.Unsubscribe(_tap);
        _tap.Tell(PoisonPill.Instance);
        foreach (var c in _subscribers.Values) c.Writer.TryComplete();
    }

    /// <summary>Hands what the event stream and the cluster publish to the feed.</summary>
    private sealed class Tap : UntypedActor
    {
        private readonly DashboardFeed _feed;

        public Tap(DashboardFeed feed) => _feed = feed;

        protected override void OnReceive(object message) => _feed.On(message);

        protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
