using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Searches;
using NasActors.Cluster.Serialization;
using NasActors.Cluster.Training;

namespace NasActors.Cluster.Hosting;

/// <summary>Registry keys of the node's actors.</summary>
public sealed class SearchRegion;
public sealed class TrainerRegion;
public sealed class EvaluationQueueKey;
public sealed class MutatorPoolKey;
public sealed class SearchApiKey;
public sealed class RecoveryRetryKey;

/// <summary>The Akka.Hosting registration of a NasActors node.</summary>
public static class NasHosting
{
    /// <summary>Names of the shard regions and of the evaluation-queue singleton (the same on every node).</summary>
    public const string SearchTypeName = "search";
    public const string TrainerTypeName = "trainer";
    public const string QueueSingletonName = "evaluation-queue";

    /// <summary>Cluster and sharding settings every node needs (hocon/ files may override them; see hocon/base.conf for the reasons).</summary>
    public const string ClusterDefaults = """
        akka.cluster.sharding {
          state-store-mode = ddata
          remember-entities-store = eventsourced
          passivate-idle-entity-after = off
          passivation.strategy = none
        }
        akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
        akka.cluster.split-brain-resolver {
          active-strategy = keep-majority
          stable-after = 20s
          down-all-when-unstable = on
        }
        akka.cluster.singleton-proxy.log-singleton-identification-failure = off
        akka.cluster.retry-unsuccessful-join-after = 2s
        akka.remote.dot-netty.tcp.tcp-reuse-addr = off
        # TensorWork waits here for cancelled trainings and evaluations to leave LibTorch (30 s at most).
        akka.coordinated-shutdown.phases.before-actor-system-terminate.timeout = 35s
        """;

    /// <summary>
    /// Registers serializer, persistence (SQLite or PostgreSQL), remoting, cluster (seed nodes, bootstrap, or a
    /// cluster of its own), and by role: populations sharded on <c>controller</c> with the evaluation queue as a
    /// singleton beside them, supernet trainers sharded on <c>trainer</c>, evaluators on <c>evaluator</c> pulling
    /// from the queue through the singleton proxy; the mutator pool, the checkpoint server, the API and the <c>nas</c>
    /// pbm palette on every node. Each feature registers itself beside its actors; the order is the start order.
    /// </summary>
    public static AkkaConfigurationBuilder AddNasActors(this AkkaConfigurationBuilder builder, NasNodeOptions o) =>
        builder
            .AddHocon(ConfigurationFactory.ParseString(NasSerializer.Hocon), HoconAddMode.Prepend)
            .AddHocon(ConfigurationFactory.ParseString(ClusterDefaults), HoconAddMode.Append)
            .AddSearchPersistence(o)
            .AddNasCluster(o)
            .AddSupernetTrainers(o)
            .AddMutatorPool(o.Mutators)
            .AddRecoveryRetry(o)
            .AddSearchActors(o)
            .AddEvaluationQueue(o)
            .AddMembership(o)
            .AddCheckpointServer(o.CheckpointFolder)
            .AddEvaluators(o)
            .AddSearchApi(o)
            .AddNasPalette();

    /// <summary>Remoting and clustering; the seed nodes come from the options, from discovery, or the node joins itself.</summary>
    public static AkkaConfigurationBuilder AddNasCluster(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        builder
            .WithRemoting(new RemoteOptions { HostName = o.Hostname, PublicHostName = o.PublicHostname, Port = o.Port })
            .WithClustering(new ClusterOptions { Roles = o.Roles.ToArray(), SeedNodes = o.SeedNodes.ToArray() });
        return builder.AddDiscovery(o.Discovery, o.PublicHostname);
    }

    /// <summary>
    /// A node with neither seed nodes nor discovery forms a cluster of its own; a node without the controller role
    /// watches that the cluster still has one (see <see cref="MembershipWatchdog"/>).
    /// </summary>
    public static AkkaConfigurationBuilder AddMembership(this AkkaConfigurationBuilder builder, NasNodeOptions o) =>
        builder.WithActors((system, _) =>
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            if (o.SeedNodes.Count == 0 && !o.Discovery.UsesBootstrap) cluster.Join(cluster.SelfAddress);
            if (!o.Roles.Contains(NasRoles.Controller) && o.Membership.MissingControllerTimeout > TimeSpan.Zero)
                system.ActorOf(MembershipWatchdog.Props(o.Membership.MissingControllerTimeout, o.SeedNodes), "membership-watchdog");
        });
}
