using System.Text.Json.Nodes;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet.Blocks;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Families;

/// <summary>SPOS's ShuffleNetV2 spaces (<see cref="ShuffleNetSpace"/>).</summary>
public sealed class ShuffleNetFamily : SpaceFamily<ShuffleNetSpace>
{
    public override string Name => "shufflenet";

    protected override NetworkParts BuildParts(ShuffleNetSpace s, int[][] held, bool affine)
    {
        var stem = nn.Sequential(
            ("conv", Layers.ConvBn(s.Input.Channels, s.StemChannels, 3, affine, relu: true, stride: s.StemStride, channelsLastAfterConv: true)));
        var units = s.Layers.Select((layer, i) => nn.ModuleList(
                held[i].Select(c => (nn.Module<Tensor, Tensor>)new ShuffleNetBlock(layer, (ShuffleChoice)c, affine)).ToArray()))
            .ToList();
        return new NetworkParts
        {
            Stem = stem, Units = units, UnitDecisions = Enumerable.Range(0, units.Count).ToArray(), Body = Sequential(units.Count),
            Head = ConvHead(s.StageOutChannels[^1], s.LastChannels, affine), Features = s.LastChannels,
            // SPOS's classifier has no bias.
            Dropout = s.Dropout, ClassifierBias = false,
        };
    }

    protected override void DescribeSpace(ShuffleNetSpace sh, JsonObject spec)
    {
        spec["stem"] = sh.StemChannels; spec["stemStride"] = sh.StemStride;
        spec["layers"] = new JsonArray(sh.Layers.Select(l => (JsonNode)new JsonObject { ["in"] = l.InChannels, ["out"] = l.OutChannels, ["mid"] = l.MidChannels, ["stride"] = l.Stride }).ToArray());
        spec["width"] = sh.StageOutChannels[^1]; spec["last"] = sh.LastChannels; spec["dropout"] = sh.Dropout; spec["finalSize"] = sh.FinalSize;
        spec["classifierBias"] = false;
    }
}
