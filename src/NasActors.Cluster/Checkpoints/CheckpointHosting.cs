using Akka.Hosting;

namespace NasActors.Cluster.Checkpoints;

/// <summary>Registration of checkpoint distribution.</summary>
public static class CheckpointHosting
{
    /// <summary>Every node serves its checkpoint folder; evaluators fetch the checkpoints they lack from the other members.</summary>
    public static AkkaConfigurationBuilder AddCheckpointServer(this AkkaConfigurationBuilder builder, string folder) =>
        builder.WithActors((system, _) => CheckpointDistribution.StartServer(system, folder));
}
