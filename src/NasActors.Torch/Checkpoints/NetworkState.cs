using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Checkpoints;

/// <summary>Copies named tensors into a module's parameters and buffers, strictly: same names, same shapes.</summary>
public static class NetworkState
{
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var own = module.state_dict();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new CheckpointException(source,
                $"its tensors do not match the network (missing: {Show(missing)}; unexpected: {Show(unexpected)})");
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in own)
        {
            var value = state[name];
            if (!target.shape.SequenceEqual(value.shape))
                throw new CheckpointException(source, $"tensor '{name}' has shape [{string.Join(",", value.shape)}], the network [{string.Join(",", target.shape)}]");
            if (target.dtype != value.dtype)
                throw new CheckpointException(source, $"tensor '{name}' has dtype {value.dtype}, the network {target.dtype}");
            target.copy_(value);
        }
    }

    private static string Show(List<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
}
