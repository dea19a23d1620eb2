using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace NasActors.Cluster.Searches;

/// <summary>
/// One per controller node: wakes the searches whose recovery failed (the database was down, or its journal plugin's
/// circuit breaker was open) as soon as the journal and the snapshot store answer again.
/// </summary>
/// <remarks>
/// A search actor whose recovery fails is stopped by Akka.Persistence; its shard starts it again only after
/// <c>akka.cluster.sharding.entity-restart-backoff</c> (10 s) or when a message for it arrives, and a start that
/// meets the breaker still open fails again and counts for nothing (the time that took: docs/recovery.md). Here the node asks the plugins themselves (the
/// highest sequence number of the search from the journal, a snapshot from the snapshot store: both pass through
/// the plugins' breakers and connection pools, as the search actor's recovery does), first after
/// <see cref="RecoveryRetrySettings.MinBackoff"/>, then doubling up to <see cref="RecoveryRetrySettings.MaxBackoff"/>,
/// and wakes each waiting search through the shard region once both answer.
/// </remarks>
public sealed class RecoveryRetry : ReceiveActor, IWithTimers
{
    /// <summary>From a search actor whose recovery failed (sent by <see cref="SearchActor"/> before it stops).</summary>
    public sealed record RecoveryFailed(string SearchId, string Reason);

    /// <summary>Answered with <see cref="Waiting"/>: the searches waiting for the journal (tests, diagnosis).</summary>
    public sealed record GetWaiting
    {
        public static GetWaiting Instance { get; } = new();
    }

    public sealed record Waiting(IReadOnlyList<string> SearchIds);

    private sealed record Probe
    {
        public static Probe Instance { get; } = new();
    }

    private sealed record ProbeTimedOut(int Round);

    /// <summary>The persistence id the snapshot store is asked about: a read that passes its breaker and finds nothing.</summary>
    public const string ProbePersistenceId = "nas-recovery-probe";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Func<IActorRef> _searches;
    private readonly RecoveryRetrySettings _settings;
    private readonly SortedSet<string> _waiting = new(StringComparer.Ordinal);
    private TimeSpan _backoff;
    private int _round;
    private bool _probing;
    private bool _journalAnswered;
    private bool _snapshotsAnswered;
    private DateTime _since;

    /// <param name="searches">The search shard region (looked up when a search is woken: the region starts after this actor).</param>
    public static Props Props(Func<IActorRef> searches, RecoveryRetrySettings settings) =>
        Akka.Actor.Props.Create(() => new RecoveryRetry(searches, settings));

    public RecoveryRetry(Func<IActorRef> searches, RecoveryRetrySettings settings)
    {
        _searches = searches;
        _settings = settings;
        _backoff = settings.MinBackoff;
        var persistence = Akka.Persistence.Persistence.Instance.Apply(Context.System);
        var journal = persistence.JournalFor(null);
        var snapshots = persistence.SnapshotStoreFor(null);

        Receive<RecoveryFailed>(f =>
        {
            if (_waiting.Count == 0)
            {
                _since = DateTime.UtcNow;
                _log.Warning("Search {0} could not be recovered ({1}); asking the journal again in {2} ms", f.SearchId, f.Reason,
                    (int)_backoff.TotalMilliseconds);
            }
            _waiting.Add(f.SearchId);
            if (!_probing && !Timers.IsTimerActive("probe")) Timers.StartSingleTimer("probe", Probe.Instance, _backoff);
        });
        Receive<Probe>(_ =>
        {
            if (_waiting.Count == 0) return;
            _probing = true;
            _journalAnswered = _snapshotsAnswered = false;
            _round++;
            // The search's own events: the journal reads its highest sequence number (toSequenceNr 0: no replay).
            journal.Tell(new ReplayMessages(0, 0, 0, SearchActor.PersistenceIdOf(_waiting.Min!), Self));
            snapshots.Tell(new LoadSnapshot(ProbePersistenceId, SnapshotSelectionCriteria.Latest, long.MaxValue));
            Timers.StartSingleTimer("probe-timeout", new ProbeTimedOut(_round), _settings.ProbeTimeout);
        });
        Receive<RecoverySuccess>(_ => { _journalAnswered = true; Answered(); });
        Receive<LoadSnapshotResult>(_ => { _snapshotsAnswered = true; Answered(); });
        Receive<ReplayMessagesFailure>(f => Failed("journal", f.Cause));
        Receive<LoadSnapshotFailed>(f => Failed("snapshot store", f.Cause));
        Receive<ProbeTimedOut>(t => { if (t.Round == _round && _probing) Failed("probe", new TimeoutException($"no answer in {_settings.ProbeTimeout}")); });
        Receive<ReplayedMessage>(_ => { });
        Receive<SearchReplies.SearchStatus>(_ => { });
        Receive<SearchReplies.NoSuchSearch>(_ => { });
        Receive<GetWaiting>(_ => Sender.Tell(new Waiting(_waiting.ToArray())));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private void Answered()
    {
        if (!_probing || !_journalAnswered || !_snapshotsAnswered) return;
        _probing = false;
        Timers.Cancel("probe-timeout");
        _log.Warning("The journal answers again ({0:F1} s after the first failed recovery): waking {1} search(es): {2}",
            (DateTime.UtcNow - _since).TotalSeconds, _waiting.Count, string.Join(", ", _waiting));
        var searches = _searches();
        foreach (var id in _waiting) searches.Tell(new SearchCommands.WakeSearch(id));
        _waiting.Clear();
        _backoff = _settings.MinBackoff;
    }

    private void Failed(string what, Exception cause)
    {
        if (!_probing) return;
        _probing = false;
        Timers.Cancel("probe-timeout");
        _log.Debug("Recovery probe: the {0} does not answer yet ({1}); again in {2} ms", what, cause.Message, (int)_backoff.TotalMilliseconds);
        Timers.StartSingleTimer("probe", Probe.Instance, _backoff);
        _backoff = TimeSpan.FromTicks(Math.Min(_settings.MaxBackoff.Ticks, _backoff.Ticks * 2));
    }
}

/// <summary>How soon a node asks its journal again after a failed recovery (HOCON <c>nas.population.recovery-retry</c>).</summary>
public sealed record RecoveryRetrySettings
{
    /// <summary>The first probe after a failed recovery.</summary>
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between probes while the database stays down (the doubling stops here).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A probe not answered in this time counts as failed.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
