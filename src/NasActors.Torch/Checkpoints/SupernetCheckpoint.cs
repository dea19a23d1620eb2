using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods;
using NasActors.Torch.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Checkpoints;

/// <summary>Builds a supernet from a verified checkpoint, for scoring.</summary>
public static class SupernetCheckpoint
{
    /// <summary>
    /// The network that scores candidates with the checkpoint's weights, built by the method that trained it
    /// (<see cref="TrainingMethodInfo.ScoringNetwork"/>; checkpoints without a method are plain supernets).
    /// </summary>
    public static BlockNetwork LoadNetwork(LoadedCheckpoint checkpoint, Device device)
    {
        if (checkpoint.Metadata.TryGetValue("kind", out var kind) && kind != "supernet")
            throw new CheckpointException(checkpoint.Path, $"it holds a '{kind}', not a supernet");
        BlockSpace space;
        try { space = BlockSpaces.Get(checkpoint.Require("space")); }
        catch (UnknownSpaceException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
        CheckDefinition(checkpoint, space);
        if (!checkpoint.Metadata.TryGetValue("method", out var method)) return LoadSupernet(checkpoint, space, device);
        TrainingMethodInfo info;
        try { info = TrainingMethods.Get(method); }
        catch (ArgumentException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
        return info.ScoringNetwork(checkpoint, space, device);
    }

    /// <summary>The weight-sharing supernet stored under <c>model/</c>, on a device.</summary>
    public static BlockNetwork LoadSupernet(LoadedCheckpoint checkpoint, BlockSpace space, Device device)
    {
        var network = BlockNetwork.Supernet(space);
        try
        {
            NetworkState.Load(network, checkpoint.WithPrefix("model/"), checkpoint.Path);
            network.to(device);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a checkpoint written for another definition of the same space name (an older or newer build whose
    /// widths or strides differ: the tensors could even have the same shapes). Checkpoints from before definitions
    /// were recorded carry none and are accepted.
    /// </summary>
    public static void CheckDefinition(LoadedCheckpoint checkpoint, BlockSpace space)
    {
        if (!checkpoint.Metadata.TryGetValue("space-definition", out var recorded)) return;
        var current = space.DefinitionHash();
        if (!string.Equals(recorded, current, StringComparison.Ordinal))
            throw new CheckpointException(checkpoint.Path,
                $"it was written for another definition of space '{space.Name}' (definition {Short(recorded)}, this build's {Short(current)}: " +
                "a build whose widths or strides differ); train a new supernet with this build");
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
