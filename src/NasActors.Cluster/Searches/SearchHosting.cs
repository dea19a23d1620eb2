using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Searches;

/// <summary>Registration of the search actors and of their recovery retry.</summary>
public static class SearchHosting
{
    /// <summary>
    /// On the <c>controller</c> role: <c>/user/recovery-retry</c>, which wakes the search actors whose recovery failed as
    /// soon as the journal answers again (see <see cref="RecoveryRetry"/>).
    /// </summary>
    public static AkkaConfigurationBuilder AddRecoveryRetry(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        if (o.Roles.Contains(NasRoles.Controller))
            builder.WithActors((system, registry) => registry.Register<RecoveryRetryKey>(
                system.ActorOf(RecoveryRetry.Props(() => registry.Get<SearchRegion>(), o.SearchActor.Retry), "recovery-retry")));
        return builder;
    }

    /// <summary>
    /// Search actors sharded on the <c>controller</c> role; remembered entities (in the journal) restart on a survivor when
    /// their node dies, and the API wakes unfinished searches when a node starts (whole-cluster restart). Other nodes
    /// reach them through a proxy.
    /// </summary>
    public static AkkaConfigurationBuilder AddSearchActors(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        if (o.Roles.Contains(NasRoles.Controller))
            builder.WithShardRegion<SearchRegion>(NasHosting.SearchTypeName,
                (_, registry) => id => SearchActor.Props(id, registry.Get<EvaluationQueueKey>(),
                    o.SearchActor with
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
