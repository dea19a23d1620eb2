using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Population;

/// <summary>Registration of the populations and of their recovery retry.</summary>
public static class PopulationHosting
{
    /// <summary>
    /// On the <c>controller</c> role: <c>/user/recovery-retry</c>, which wakes the populations whose recovery failed as
    /// soon as the journal answers again (see <see cref="RecoveryRetry"/>).
    /// </summary>
    public static AkkaConfigurationBuilder AddRecoveryRetry(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        if (o.Roles.Contains(NasRoles.Controller))
            builder.WithActors((system, registry) => registry.Register<RecoveryRetryKey>(
                system.ActorOf(RecoveryRetry.Props(() => registry.Get<SearchRegion>(), o.Population.Retry), "recovery-retry")));
        return builder;
    }

    /// <summary>
    /// Populations sharded on the <c>controller</c> role; remembered entities (in the journal) restart on a survivor when
    /// their node dies, and the API wakes unfinished searches when a node starts (whole-cluster restart). Other nodes
    /// reach them through a proxy.
    /// </summary>
    public static AkkaConfigurationBuilder AddPopulations(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        if (o.Roles.Contains(NasRoles.Controller))
            builder.WithShardRegion<SearchRegion>(NasHosting.SearchTypeName,
                (_, registry) => id => PopulationActor.Props(id, registry.Get<EvaluationQueueKey>(),
                    o.Population with
                    {
                        Trainers = registry.Get<TrainerRegion>(), Mutators = registry.Get<MutatorPoolKey>(),
                        RecoveryRetry = registry.Get<RecoveryRetryKey>(),
                    }),
                new SearchMessageExtractor(), new ShardOptions
                {
                    StateStoreMode = StateStoreMode.DData, RememberEntities = true,
                    RememberEntitiesStore = RememberEntitiesStore.Eventsourced, Role = NasRoles.Controller,
                    ShouldPassivateIdleEntities = false,
                });
        else
            builder.WithShardRegionProxy<SearchRegion>(NasHosting.SearchTypeName, NasRoles.Controller, new SearchMessageExtractor());
        return builder;
    }
}
