using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Discovery.KubernetesApi;
using Akka.Event;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Akka.Remote.Hosting;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Persistence;
using NasActors.Cluster.Population;
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
        """;

    /// <summary>
    /// Registers serializer, persistence (SQLite or PostgreSQL), remoting, cluster (seed nodes, bootstrap, or a
    /// cluster of its own), and by role: populations sharded on <c>controller</c> with the evaluation queue as a
    /// singleton beside them, supernet trainers sharded on <c>trainer</c>, evaluators on <c>evaluator</c> pulling
    /// from the queue through the singleton proxy; the mutator pool and the API on every node.
    /// </summary>
    public static AkkaConfigurationBuilder AddNasActors(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        Config persistence;
        if (o.PersistenceBackend == "postgres") persistence = PostgresPersistence.Config(o.PostgresConnection!);
        else
        {
            SqlitePersistence.Prepare(o.JournalFile, o.SnapshotFile);
            persistence = SqlitePersistence.Config(o.JournalFile, o.SnapshotFile);
        }
        var isController = o.Roles.Contains(NasRoles.Controller);
        var isTrainer = o.Roles.Contains(NasRoles.Trainer);
        var isEvaluator = o.Roles.Contains(NasRoles.Evaluator);

        builder
            .AddHocon(ConfigurationFactory.ParseString(NasSerializer.Hocon), HoconAddMode.Prepend)
            .AddHocon(ConfigurationFactory.ParseString(ClusterDefaults), HoconAddMode.Append)
            .AddHocon(persistence, HoconAddMode.Append)
            .WithRemoting(new RemoteOptions { HostName = o.Hostname, PublicHostName = o.PublicHostname, Port = o.Port })
            .WithClustering(new ClusterOptions { Roles = o.Roles.ToArray(), SeedNodes = o.SeedNodes.ToArray() });
        if (o.Discovery.UsesBootstrap)
        {
            if (o.Discovery.Join == "akka-management") AddBootstrap(builder, o.Discovery, o.PublicHostname);
            else AddDiscoveredSeedNodes(builder, o.Discovery);
        }

        ISupernetTrainingBackend training = o.TrainingBackend == "stub"
            ? new StubTrainingBackend(o.StubStepCost)
            : new TorchTrainingBackend(o.DataFolder);
        var extractor = new SearchMessageExtractor();

        // Trainers: sharded on the trainer role, reporting to the search region (looked up when an entity starts).
        if (isTrainer)
            builder.WithShardRegion<TrainerRegion>(TrainerTypeName,
                (_, registry) => id => SupernetTrainerActor.Props(id, training, o.CheckpointFolder, registry.Get<SearchRegion>()),
                extractor, new ShardOptions
                {
                    StateStoreMode = StateStoreMode.DData, RememberEntities = false, Role = NasRoles.Trainer,
                    ShouldPassivateIdleEntities = false,
                });
        else if (isController)
            builder.WithShardRegionProxy<TrainerRegion>(TrainerTypeName, NasRoles.Trainer, extractor);

        // The mutator pool of this node, registered before the populations that use it start.
        builder.WithActors((system, registry) =>
            registry.Register<MutatorPoolKey>(system.ActorOf(MutatorActor.Props().WithRouter(new Akka.Routing.RoundRobinPool(o.Mutators)), "mutators")));
        // Wakes the populations whose recovery failed as soon as the journal answers again (see RecoveryRetry).
        if (isController)
            builder.WithActors((system, registry) => registry.Register<RecoveryRetryKey>(
                system.ActorOf(RecoveryRetry.Props(() => registry.Get<SearchRegion>(), o.Population.Retry), "recovery-retry")));

        // Populations: sharded on the controller role; remembered entities (in the journal) restart on a survivor
        // when their node dies, and the API wakes unfinished searches when a node starts (whole-cluster restart).
        if (isController)
            builder.WithShardRegion<SearchRegion>(SearchTypeName,
                (_, registry) => id => PopulationActor.Props(id, registry.Get<EvaluationQueueKey>(),
                    o.Population with
                    {
                        Trainers = registry.Get<TrainerRegion>(), Mutators = registry.Get<MutatorPoolKey>(),
                        RecoveryRetry = registry.Get<RecoveryRetryKey>(),
                    }),
                extractor, new ShardOptions
                {
                    StateStoreMode = StateStoreMode.DData, RememberEntities = true,
                    RememberEntitiesStore = RememberEntitiesStore.Eventsourced, Role = NasRoles.Controller,
                    ShouldPassivateIdleEntities = false,
                });
        else
            builder.WithShardRegionProxy<SearchRegion>(SearchTypeName, NasRoles.Controller, extractor);

        // The job holder: one per cluster, beside the populations; evaluators anywhere reach it through the proxy.
        var singleton = new ClusterSingletonOptions { Role = NasRoles.Controller };
        if (isController)
            builder.WithSingleton<EvaluationQueueKey>(QueueSingletonName,
                (_, registry, _) => EvaluationQueue.Props(o.JobTimeout, registry.Get<SearchRegion>()), singleton, createProxyToo: true);
        else
            builder.WithSingletonProxy<EvaluationQueueKey>(QueueSingletonName, singleton);

        builder.WithActors((system, registry) =>
        {
            var cluster = Akka.Cluster.Cluster.Get(system);
            if (o.SeedNodes.Count == 0 && !o.Discovery.UsesBootstrap) cluster.Join(cluster.SelfAddress);
            // A node without the controller role watches that the cluster still has one (see MembershipWatchdog).
            if (!isController && o.Membership.MissingControllerTimeout > TimeSpan.Zero)
                system.ActorOf(MembershipWatchdog.Props(o.Membership.MissingControllerTimeout, o.SeedNodes), "membership-watchdog");
            var queue = registry.Get<EvaluationQueueKey>();
            // Every node serves its checkpoint folder; evaluators fetch checkpoints they lack from the other members.
            var checkpoints = CheckpointDistribution.Start(system, o.CheckpointFolder);
            // A stub node runs no tensors: jobs of the torch kind get stub scores there (tests of the trainer path).
            var evaluation = new EvaluationBackends(o.TrainingBackend == "stub"
                ? () => new StubEvaluationBackend()
                : () => new TorchEvaluationBackend(o.DataFolder).FetchingCheckpoints(checkpoints));
            if (isEvaluator)
            {
                var node = $"{o.PublicHostname ?? o.Hostname}:{cluster.SelfAddress.Port}";
                var evaluators = Enumerable.Range(0, o.Evaluators)
                    .Select(i => system.ActorOf(EvaluatorActor.Props(queue, evaluation, $"{node}/evaluator-{i}", o.EvaluatorPoll), $"evaluator-{i}"))
                    .ToArray();
                HandBackOnLeave(system, evaluators);
            }
            // Nodes without the controller role have no journal of their own to wake searches from.
            var api = system.ActorOf(SearchApi.Props(registry.Get<SearchRegion>(), new SearchCatalog(system), wakeOnStart: isController), SearchApi.Name);
            registry.Register<SearchApiKey>(api);
            // The command host (pbm) starts with the node; this feature adds its palette.
            Commands.CommandHost.Get(system).Register(Commands.NasPalette.Create());
        });
        return builder;
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

    /// <summary>
    /// Discovery without Akka.Management's HTTP endpoint (see <see cref="DiscoveryOptions.Join"/>): looks up the
    /// service's remoting endpoints (config: the listed host:port; kubernetes-api: the pods' port named
    /// <c>remoting</c>) until at least the required number answer the lookup, then joins them as seed nodes, sorted,
    /// so every node sees the same first seed (the only one that may form a new cluster by joining itself).
    /// </summary>
    private static void AddDiscoveredSeedNodes(AkkaConfigurationBuilder builder, DiscoveryOptions d)
    {
        var endpoints = string.Join(", ", d.Endpoints.Select(e => "\"" + e + "\""));
        builder.AddHocon(ConfigurationFactory.ParseString($"akka.discovery.config.services.{d.ServiceName}.endpoints = [{endpoints}]"),
            HoconAddMode.Prepend);
        if (d.Method == "kubernetes-api")
            builder.WithKubernetesDiscovery(k =>
            {
                k.PodLabelSelector = d.PodLabelSelector;
                if (d.PodNamespace is not null) k.PodNamespace = d.PodNamespace;
            });
        builder.AddStartup((system, registry) =>
        {
            var log = Logging.GetLogger(system, "nas-discovery");
            var discovery = Akka.Discovery.Discovery.Get(system).LoadServiceDiscovery(d.Method);
            var lookup = new Akka.Discovery.Lookup(d.ServiceName, d.Method == "kubernetes-api" ? "remoting" : null, "tcp");
            _ = Task.Run(async () =>
            {
                while (!system.WhenTerminated.IsCompleted)
                {
                    try
                    {
                        var resolved = await discovery.Lookup(lookup, TimeSpan.FromSeconds(5));
                        var seeds = resolved.Addresses.Where(t => t.Port is not null)
                            .Select(t => new Address("akka.tcp", "nas", t.Host, t.Port!.Value))
                            .Distinct().OrderBy(a => a.Host, StringComparer.Ordinal).ThenBy(a => a.Port).ToArray();
                        if (seeds.Length >= d.RequiredContactPoints)
                        {
                            log.Info("Discovery ({0}) found {1}: joining them as seed nodes", d.Method, string.Join(", ", seeds.Select(a => a.ToString())));
                            Akka.Cluster.Cluster.Get(system).JoinSeedNodes(seeds);
                            return;
                        }
                        log.Info("Discovery ({0}) found {1} of {2} contact points; looking again", d.Method, seeds.Length, d.RequiredContactPoints);
                    }
                    catch (Exception e) { log.Warning("Discovery ({0}) lookup of {1} failed: {2}", d.Method, d.ServiceName, e.Message); }
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            });
        });
    }

    /// <summary>Akka.Management (HTTP) and cluster bootstrap: config discovery (a fixed list) or the Kubernetes API.</summary>
    private static void AddBootstrap(AkkaConfigurationBuilder builder, DiscoveryOptions d, string? publicHostname)
    {
        var endpoints = string.Join(", ", d.Endpoints.Select(e => "\"" + e + "\""));
        builder.AddHocon(ConfigurationFactory.ParseString($$"""
            akka.discovery.config.services.{{d.ServiceName}}.endpoints = [{{endpoints}}]
            akka.management.cluster.bootstrap.contact-point-discovery {
              discovery-method = {{d.Method}}
              service-name = "{{d.ServiceName}}"
              required-contact-point-nr = {{d.RequiredContactPoints}}
            }
            """), HoconAddMode.Prepend);
        if (d.Method == "kubernetes-api")
            builder.WithKubernetesDiscovery(k =>
            {
                k.PodLabelSelector = d.PodLabelSelector;
                if (d.PodNamespace is not null) k.PodNamespace = d.PodNamespace;
            });
        builder.WithAkkaManagement(m =>
        {
            // Bound on the configured address; advertised on the public hostname when bound on every interface.
            m.HostName = d.ManagementHostname == "0.0.0.0" && publicHostname is not null ? publicHostname : d.ManagementHostname;
            m.Port = d.ManagementPort;
            m.BindHostName = d.ManagementHostname;
            m.BindPort = d.ManagementPort;
        }, autoStart: true);
        builder.WithClusterBootstrap(b =>
        {
            b.ContactPointDiscovery.ServiceName = d.ServiceName;
            b.ContactPointDiscovery.DiscoveryMethod = d.Method;
            b.ContactPointDiscovery.RequiredContactPointsNr = d.RequiredContactPoints;
        }, autoStart: true);
    }
}
