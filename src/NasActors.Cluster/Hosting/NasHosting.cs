using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
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
public sealed class EvaluationQueueKey;
public sealed class MutatorPoolKey;
public sealed class SearchApiKey;

/// <summary>The Akka.Hosting registration of a NasActors node.</summary>
public static class NasHosting
{
    /// <summary>Cluster and sharding settings every node needs (HOCON files may override them).</summary>
    public const string ClusterDefaults = """
        akka.cluster.sharding {
          state-store-mode = ddata
          remember-entities = off
          passivate-idle-entity-after = off
          passivation.strategy = none
        }
        akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
        akka.cluster.split-brain-resolver {
          active-strategy = keep-majority
          stable-after = 20s
          down-all-when-unstable = on
        }
        """;

    /// <summary>
    /// Registers serializer, persistence (SQLite), remoting, cluster (a node with no seed nodes joins itself), the
    /// evaluation queue and evaluators, the mutator pool, the sharded populations with their trainers, and the API.
    /// </summary>
    public static AkkaConfigurationBuilder AddNasActors(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        SqlitePersistence.Prepare(o.JournalFile, o.SnapshotFile);
        builder
            .AddHocon(ConfigurationFactory.ParseString(NasSerializer.Hocon), HoconAddMode.Prepend)
            .AddHocon(ConfigurationFactory.ParseString(ClusterDefaults), HoconAddMode.Append)
            .AddHocon(SqlitePersistence.Config(o.JournalFile, o.SnapshotFile), HoconAddMode.Append)
            .WithRemoting(o.Hostname, o.Port)
            .WithClustering(new ClusterOptions { Roles = o.Roles.ToArray(), SeedNodes = o.SeedNodes.ToArray() });

        ISupernetTrainingBackend training = o.TrainingBackend == "stub"
            ? new StubTrainingBackend(o.StubStepCost)
            : new TorchTrainingBackend(o.DataFolder);
        var population = o.Population with
        {
            TrainerProps = o.Roles.Contains(NasRoles.Trainer)
                ? id => SupernetTrainerActor.Props(id, training, o.CheckpointFolder)
                : null,
        };

        builder.WithActors((system, registry) =>
        {
            if (o.SeedNodes.Count == 0) Akka.Cluster.Cluster.Get(system).Join(Akka.Cluster.Cluster.Get(system).SelfAddress);
            var queue = system.ActorOf(EvaluationQueue.Props(o.JobTimeout), "evaluation-queue");
            // Every node serves its checkpoint folder; evaluators fetch checkpoints they lack from the other members.
            var checkpoints = CheckpointDistribution.Start(system, o.CheckpointFolder);
            var evaluation = new EvaluationBackends(() => new TorchEvaluationBackend(o.DataFolder).FetchingCheckpoints(checkpoints));
            registry.Register<EvaluationQueueKey>(queue);
            if (o.Roles.Contains(NasRoles.Evaluator))
                for (var i = 0; i < o.Evaluators; i++) system.ActorOf(EvaluatorActor.Props(queue, evaluation), $"evaluator-{i}");
            registry.Register<MutatorPoolKey>(system.ActorOf(MutatorActor.Props().WithRouter(new Akka.Routing.RoundRobinPool(2)), "mutators"));
        });
        builder.WithShardRegion<SearchRegion>("search",
            (system, registry) => id => PopulationActor.Props(id, registry.Get<EvaluationQueueKey>(), population),
            new SearchMessageExtractor(),
            new ShardOptions
            {
                StateStoreMode = StateStoreMode.DData, RememberEntities = false, Role = NasRoles.Controller,
                ShouldPassivateIdleEntities = false,
            });
        builder.WithActors((system, registry) =>
        {
            var api = system.ActorOf(SearchApi.Props(registry.Get<SearchRegion>(), new SearchCatalog(system), wakeOnStart: true), SearchApi.Name);
            registry.Register<SearchApiKey>(api);
            // The command host (pbm) starts with the node; this feature adds its palette.
            Commands.CommandHost.Get(system).Register(Commands.NasPalette.Create());
        });
        return builder;
    }
}
