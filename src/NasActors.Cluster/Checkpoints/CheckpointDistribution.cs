using Akka.Actor;
using NasActors.Cluster.Evaluation;

namespace NasActors.Cluster.Checkpoints;

/// <summary>Starts checkpoint distribution on a node: the server of its checkpoint folder and a fetcher for its evaluators.</summary>
public static class CheckpointDistribution
{
    /// <summary>
    /// Starts <c>/user/checkpoint-server</c> over <paramref name="folder"/> and returns the fetcher that asks the
    /// other cluster members (trainers first) for checkpoints this node lacks.
    /// </summary>
    public static CheckpointFetcher Start(ActorSystem system, string folder, CheckpointFetchOptions? options = null)
    {
        StartServer(system, folder);
        return Fetcher(system, folder, options);
    }

    /// <summary>Starts <c>/user/checkpoint-server</c>, which serves <paramref name="folder"/> to the other members.</summary>
    public static IActorRef StartServer(ActorSystem system, string folder) =>
        system.ActorOf(CheckpointServer.Props(new CheckpointCache(folder)), CheckpointServer.Name);

    /// <summary>The fetcher over <paramref name="folder"/> (the cache keeps no state but the files, so it may share the server's folder).</summary>
    public static CheckpointFetcher Fetcher(ActorSystem system, string folder, CheckpointFetchOptions? options = null) =>
        new(system, new CheckpointCache(folder), CheckpointFetcher.ClusterPeers(system), options);

    /// <summary>An evaluation backend that first makes sure the job's checkpoint is on this node.</summary>
    public static IEvaluationBackend FetchingCheckpoints(this IEvaluationBackend inner, CheckpointFetcher fetcher) =>
        new CheckpointFetchingBackend(inner, fetcher);
}

/// <summary>
/// Resolves the job's checkpoint to a local, verified file (fetching it when this node lacks it) and hands the job
/// with that path to the inner backend. A checkpoint that cannot be fetched fails the evaluation with a message naming
/// it; the population records the failure and retries the job.
/// </summary>
public sealed class CheckpointFetchingBackend(IEvaluationBackend inner, CheckpointFetcher fetcher) : IEvaluationBackend, IDisposable
{
    public async Task<EvaluationMetrics> EvaluateAsync(EvaluationJob job, CancellationToken cancel)
    {
        if (job.Checkpoint is not { } checkpoint) return await inner.EvaluateAsync(job, cancel).ConfigureAwait(false);
        string path;
        try { path = await fetcher.LocalPathAsync(checkpoint, cancel).ConfigureAwait(false); }
        catch (CheckpointFetchException e) { throw new EvaluationException(e.Message, e); }
        var local = path == checkpoint.Path ? job : job with { Checkpoint = checkpoint with { Path = path } };
        return await inner.EvaluateAsync(local, cancel).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (inner is IDisposable d) d.Dispose();
    }
}
