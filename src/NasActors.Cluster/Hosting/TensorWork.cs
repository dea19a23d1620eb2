using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Event;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// Tensor work of a node (supernet trainings, evaluations) runs on threads of its own, inside LibTorch. A process that
/// ends while such a thread is still in native code crashes on its way out (SIGSEGV, measured on Ctrl+C of a study
/// before this existed). The actors cancel their work when they stop; this waits for it, as the last step of the actor
/// system's coordinated shutdown, for at most <see cref="DrainTimeout"/>.
/// </summary>
public sealed class TensorWork : IExtension
{
    /// <summary>How long a shutting-down node waits for its cancelled tensor work (a step, an evaluation) to end.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The coordinated-shutdown phase the wait runs in (its timeout is set to cover it: <see cref="NasHosting.ClusterDefaults"/>).</summary>
    public const string DrainPhase = "before-actor-system-terminate";

    private readonly ConcurrentDictionary<Task, byte> _running = new();

    public TensorWork(ExtendedActorSystem system) =>
        CoordinatedShutdown.Get(system).AddTask(DrainPhase, "nas-tensor-work-drain", async () =>
        {
            if (!await DrainAsync(DrainTimeout))
                system.Log.Warning("{0} tensor task(s) still running {1} s after the node began to stop", _running.Count, DrainTimeout.TotalSeconds);
            return Akka.Done.Instance;
        });

    public static TensorWork Get(ActorSystem system) => system.WithExtension<TensorWork, TensorWorkProvider>();

    /// <summary>Tracks <paramref name="task"/> until it ends (whatever its outcome).</summary>
    public void Track(Task task)
    {
        _running[task] = 0;
        task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits until every tracked task has ended, at most <paramref name="within"/>; true if they all did.</summary>
    public async Task<bool> DrainAsync(TimeSpan within)
    {
        var all = Task.WhenAll(_running.Keys).ContinueWith(_ => { }, TaskScheduler.Default); // outcomes are the actors' business
        return await Task.WhenAny(all, Task.Delay(within)).ConfigureAwait(false) == all;
    }
}

public sealed class TensorWorkProvider : ExtensionIdProvider<TensorWork>
{
    public override TensorWork CreateExtension(ExtendedActorSystem system) => new(system);
}
