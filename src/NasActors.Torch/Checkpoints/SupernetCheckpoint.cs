using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Checkpoints;

/// <summary>Builds a supernet from a verified checkpoint, for scoring.</summary>
public static class SupernetCheckpoint
{
    public static BlockNetwork LoadNetwork(LoadedCheckpoint checkpoint, Device device)
    {
        if (checkpoint.Metadata.TryGetValue("kind", out var kind) && kind != "supernet")
            throw new CheckpointException(checkpoint.Path, $"it holds a '{kind}', not a supernet");
        BlockSpace space;
        try { space = BlockSpaces.Get(checkpoint.Require("space")); }
        catch (UnknownSpaceException e) { throw new CheckpointException(checkpoint.Path, e.Message); }
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
}
