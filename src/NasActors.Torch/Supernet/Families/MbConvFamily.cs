using System.Text.Json.Nodes;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet.Blocks;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Families;

/// <summary>FairNAS's inverted-residual spaces (<see cref="MbConvSpace"/>).</summary>
public sealed class MbConvFamily : SpaceFamily<MbConvSpace>
{
    public override string Name => "mbconv";

    protected override NetworkParts BuildParts(MbConvSpace s, int[][] held, bool affine)
    {
        var stem = nn.Sequential(
            ("conv", Layers.ConvBn(s.Input.Channels, s.StemChannels, 3, affine, relu: true, stride: s.StemStride, channelsLastAfterConv: true)),
            ("dw", Layers.ConvBn(s.StemChannels, s.StemChannels, 3, affine, relu: true, stride: s.SeparableStride, groups: s.StemChannels)),
            ("pw", Layers.ConvBn(s.StemChannels, s.SeparableChannels, 1, affine, relu: false)));
        var units = s.Layers.Select((layer, i) => nn.ModuleList(
                held[i].Select(c => (nn.Module<Tensor, Tensor>)new MbConvBlock(layer, MbConvSpace.Choices[c], affine)).ToArray()))
            .ToList();
        return new NetworkParts
        {
            Stem = stem, Units = units, UnitDecisions = Enumerable.Range(0, units.Count).ToArray(), Body = Sequential(units.Count),
            Head = ConvHead(s.Layers[^1].OutChannels, s.LastChannels, affine), Features = s.LastChannels,
            Dropout = s.Dropout, ClassifierBias = true,
        };
    }

    protected override void DescribeSpace(MbConvSpace mb, JsonObject spec)
    {
        spec["stem"] = mb.StemChannels; spec["stemStride"] = mb.StemStride; spec["separable"] = mb.SeparableChannels; spec["separableStride"] = mb.SeparableStride;
        spec["layers"] = new JsonArray(mb.Layers.Select(l => (JsonNode)new JsonObject { ["in"] = l.InChannels, ["out"] = l.OutChannels, ["stride"] = l.Stride }).ToArray());
        spec["width"] = mb.Layers[^1].OutChannels; spec["last"] = mb.LastChannels; spec["dropout"] = mb.Dropout; spec["finalSize"] = mb.FinalSize;
        spec["classifierBias"] = true;
    }
}
