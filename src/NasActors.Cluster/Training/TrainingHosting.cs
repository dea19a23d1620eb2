using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using NasActors.Cluster.Hosting;
using NasActors.Cluster.Searches;

namespace NasActors.Cluster.Training;

/// <summary>Registration of the supernet trainers.</summary>
public static class TrainingHosting
{
    /// <summary>
    /// Trainers sharded on the <c>trainer</c> role, reporting to the search region (looked up when an entity starts);
    /// a controller without the role reaches them through a proxy.
    /// </summary>
    public static AkkaConfigurationBuilder AddSupernetTrainers(this AkkaConfigurationBuilder builder, NasNodeOptions o)
    {
        if (o.Roles.Contains(NasRoles.Trainer))
        {
            ISupernetTrainingBackend training = o.Backend == NodeBackend.Stub
                ? new StubTrainingBackend(o.StubStepCost)
                : new TorchTrainingBackend(o.DataFolder);
            builder.WithShardRegion<TrainerRegion>(NasHosting.TrainerTypeName,
                (_, registry) => id => SupernetTrainerActor.Props(id, training, o.CheckpointFolder, registry.Get<SearchRegion>()),
                new SearchMessageExtractor(), new ShardOptions
                {
                    StateStoreMode = StateStoreMode.DData, RememberEntities = false, Role = NasRoles.Trainer,
                    ShouldPassivateIdleEntities = false,
                });
        }
        else if (o.Roles.Contains(NasRoles.Controller))
            builder.WithShardRegionProxy<TrainerRegion>(NasHosting.TrainerTypeName, NasRoles.Trainer, new SearchMessageExtractor());
        return builder;
    }
}
