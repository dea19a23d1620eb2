using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Event;
using Akka.Hosting;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Evaluation;

/// <summary>Registration of the evaluation queue and of the evaluators.</summary>
public static class EvaluationHosting
{
    /// <summary>
    /// The job holder: one per cluster, a singleton beside the populations on the <c>controller</c> role; every node
    /// registers the proxy under <see cref="EvaluationQueueKey"/> (<c>/user/evaluation-queue-proxy</c>).
    /// </summary>
    public static AkkaConfigurationBuilder AddEvaluationQueue(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        var singleton = new ClusterSingletonOptions { Role = NasRoles.Controller };
        if (o.Roles.Contains(NasRoles.Controller))
            builder.WithSingleton<EvaluationQueueKey>(NasHosting.QueueSingletonName,
                (_, registry, _) => EvaluationQueue.Props(o.JobTimeout, registry.Get<SearchRegion>()), singleton, createProxyToo: true);
        else
            builder.WithSingletonProxy<EvaluationQueueKey>(NasHosting.QueueSingletonName, singleton);
        return builder;
    }

    /// <summary>
    /// On the <c>evaluator</c> role: <c>/user/evaluator-N</c> pulling from the queue, fetching the checkpoints they
    /// lack from the other members; before the node leaves, they hand their in-flight jobs back.
    /// </summary>
    public static AkkaConfigurationBuilder AddEvaluators(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        if (!o.Roles.Contains(NasRoles.Evaluator)) return builder;
        return builder.WithActors((system, registry) =>
        {
            var queue = registry.Get<EvaluationQueueKey>();
            var checkpoints = CheckpointDistribution.Fetcher(system, o.CheckpointFolder);
            // A stub node runs no tensors: jobs of the torch kind get stub scores there (tests of the trainer path).
            var evaluation = new EvaluationBackends(o.Backend == NodeBackend.Stub
                ? () => new StubEvaluationBackend()
                : () => new TorchEvaluationBackend(o.DataFolder).FetchingCheckpoints(checkpoints));
            var node = $"{o.PublicHostname ?? o.Hostname}:{Akka.Cluster.Cluster.Get(system).SelfAddress.Port}";
            var evaluators = Enumerable.Range(0, o.Evaluators)
                .Select(i => system.ActorOf(EvaluatorActor.Props(queue, evaluation, $"{node}/evaluator-{i}", o.EvaluatorPoll), $"evaluator-{i}"))
                .ToArray();
            HandBackOnLeave(system, evaluators);
        });
    }

    /// <summary>Graceful leave: before the node leaves the cluster, its evaluators hand their in-flight jobs back to the queue.</summary>
    private static void HandBackOnLeave(ActorSystem system, IReadOnlyList<IActorRef> evaluators)
    {
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "nas-evaluators-hand-back", async () =>
        {
            var left = await Task.WhenAll(evaluators.Select(e =>
                e.Ask<EvaluatorActor.Left>(EvaluatorActor.LeaveGracefully.Instance, TimeSpan.FromSeconds(5))
                    .ContinueWith(t => t.IsCompletedSuccessfully ? t.Result.JobsHandedBack : 0, TaskScheduler.Default)));
            system.Log.Info("Leaving: evaluators handed back {0} job(s)", left.Sum());
            return Akka.Done.Instance;
        });
    }
}
