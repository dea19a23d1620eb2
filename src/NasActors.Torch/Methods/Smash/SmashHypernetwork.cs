using NasActors.Core.Spaces.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.Smash;

/// <summary>
/// SMASH's hypernetwork on an MBConv space: it maps a layer's encoding (the one-hot choice, then the one-hot layer
/// position) through a shared hidden layer (ReLU) to that layer's head, which emits the pointwise weights of the
/// widest block (expansion 6): the expand convolution's [6C, C] and the project convolution's [C_out, 6C]. A block of
/// expansion e takes the first e*C rows of the one and the first e*C columns of the other (SMASH's weight slicing).
/// Initialised from a seeded generator (uniform +-1/sqrt(fan-in), as torch's Linear).
/// </summary>
public sealed class SmashHypernetwork : nn.Module<Tensor, Tensor>
{
    private readonly Linear trunk;
    private readonly ModuleList<Linear> heads;
    private readonly MbConvSpace _space;

    public SmashHypernetwork(MbConvSpace space, int hiddenUnits, long initSeed) : base("smash-hypernetwork")
    {
        _space = space;
        Encoding = MbConvSpace.Choices.Count + space.Layers.Count;
        trunk = nn.Linear(Encoding, hiddenUnits);
        heads = nn.ModuleList(space.Layers.Select(l => nn.Linear(hiddenUnits, 6L * l.InChannels * l.InChannels + 6L * l.InChannels * l.OutChannels)).ToArray());
        RegisterComponents();
        using var generator = new Generator((ulong)initSeed);
        using var noGrad = torch.no_grad();
        foreach (var linear in heads.Prepend(trunk))
        {
            var bound = 1 / Math.Sqrt(linear.weight!.shape[1]);
            foreach (var p in new[] { linear.weight!, linear.bias! })
            {
                using var values = torch.rand(p.shape, generator: generator).mul_(2 * bound).sub_(bound);
                p.copy_(values);
            }
        }
    }

    /// <summary>Length of a layer's encoding: choices, then layers.</summary>
    public long Encoding { get; }

    /// <summary>The encoding of (layer, choice): one-hot choice, then one-hot position.</summary>
    public Tensor Encode(int layer, int choice, Device device)
    {
        var e = new float[Encoding];
        e[choice] = 1;
        e[MbConvSpace.Choices.Count + layer] = 1;
        return torch.tensor(e, device: device).unsqueeze(0);
    }

    /// <summary>The generated pointwise weights of block (layer, choice), shaped like its convolutions'.</summary>
    public (Tensor Expand, Tensor Project) Generate(int layer, int choice)
    {
        var l = _space.Layers[layer];
        var mid = (long)l.InChannels * MbConvSpace.Choices[choice].Expansion;
        using var encoding = Encode(layer, choice, trunk.weight!.device);
        using var hidden = nn.functional.relu(trunk.call(encoding));
        using var flat = heads[layer].call(hidden).squeeze(0);
        var wide = 6L * l.InChannels;
        using var expand = flat.narrow(0, 0, wide * l.InChannels).view(wide, l.InChannels);
        using var project = flat.narrow(0, wide * l.InChannels, l.OutChannels * wide).view(l.OutChannels, wide);
        return (expand.narrow(0, 0, mid).view(mid, l.InChannels, 1, 1),
            project.narrow(1, 0, mid).contiguous().view(l.OutChannels, mid, 1, 1));
    }

    public override Tensor forward(Tensor encoding) => throw new NotSupportedException("Use Generate(layer, choice).");
}
