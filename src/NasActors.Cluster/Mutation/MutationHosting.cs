using Akka.Actor;
using Akka.Hosting;
using Akka.Routing;
using NasActors.Cluster.Hosting;

namespace NasActors.Cluster.Mutation;

/// <summary>Registration of the mutator pool.</summary>
public static class MutationHosting
{
    /// <summary>The mutator pool of this node (<c>/user/mutators</c>), registered before the populations that use it start.</summary>
    public static AkkaConfigurationBuilder AddMutatorPool(this AkkaConfigurationBuilder builder, int mutators) =>
        builder.WithActors((system, registry) =>
            registry.Register<MutatorPoolKey>(system.ActorOf(MutatorActor.Props().WithRouter(new RoundRobinPool(mutators)), "mutators")));
}
