using Akka.Actor;

namespace NasActors.Cluster.Searches;

/// <summary>How population actors behave (from HOCON <c>nas.population</c>).</summary>
public sealed record SearchActorSettings
{
    /// <summary>A snapshot every this many events (0: never).</summary>
    public int SnapshotEvery { get; init; } = 200;

    /// <summary>Pending jobs are handed to the queue again this often, in case the queue lost them.</summary>
    public TimeSpan ResendPendingEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where a completed search writes <c>{search id}/results.json</c>; null: nowhere.</summary>
    public string? ExportFolder { get; init; }

    /// <summary>False: recover from the journal alone (measurements, diagnosis of a bad snapshot).</summary>
    public bool RecoverFromSnapshots { get; init; } = true;

    /// <summary>Props of the supernet trainer of a search as a persistent child of its search actor (tests, no cluster).</summary>
    public Func<string, Props>? TrainerProps { get; init; }

    /// <summary>
    /// The mutator pool that produces the children of evolutionary generations; null: the controller produces them
    /// itself (the same children: a journal replays either way).
    /// </summary>
    public IActorRef? Mutators { get; init; }

    /// <summary>
    /// The node's <see cref="RecoveryRetry"/>: told when this search actor's recovery fails, it wakes the search once the
    /// journal answers again; null: the shard restarts it after its entity-restart-backoff or on the next message.
    /// </summary>
    public IActorRef? RecoveryRetry { get; init; }

    /// <summary>How soon <see cref="RecoveryRetry"/> asks the journal again (HOCON <c>nas.population.recovery-retry</c>).</summary>
    public RecoveryRetrySettings Retry { get; init; } = new();

    /// <summary>The trainer shard region (or its proxy) on a cluster; takes precedence over <see cref="TrainerProps"/>.</summary>
    public IActorRef? Trainers { get; init; }
}
