using System.Text.Json.Nodes;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet.Blocks;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet.Families;

/// <summary>
/// NAS-Bench-201 cell networks (<see cref="CellSpace"/>): every cell holds its own modules for each edge, so decision
/// d has one unit per cell (unit index cell * 6 + d); the residual reduction blocks are fixed modules every path runs.
/// </summary>
public sealed class CellFamily : SpaceFamily<CellSpace>
{
    public override string Name => "cell";

    protected override NetworkParts BuildParts(CellSpace s, int[][] held, bool affine)
    {
        var stem = nn.Sequential(
            ("conv", Layers.ConvBn(s.Input.Channels, s.StemChannels, 3, affine, relu: false, stride: s.StemStride, channelsLastAfterConv: true)));
        var units = new List<TorchSharp.Modules.ModuleList<nn.Module<Tensor, Tensor>>>();
        var decisions = new List<int>();
        foreach (var stage in s.Stages)
            for (var cell = 0; cell < s.CellsPerStage; cell++)
                for (var d = 0; d < CellSpace.Edges; d++)
                {
                    units.Add(nn.ModuleList(held[d].Select(c => CellOps.Edge(c, stage.Channels, affine)).ToArray()));
                    decisions.Add(d);
                }
        var reductions = Enumerable.Range(1, s.Stages.Count - 1)
            .Select(i => (nn.Module<Tensor, Tensor>)new ReductionBlock(s.Stages[i - 1].Channels, s.Stages[i].Channels, affine)).ToArray();
        var head = nn.Sequential(
            ("bn", Layers.Norm(s.LastChannels, affine)),
            ("relu", nn.ReLU(inplace: true)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()));
        return new NetworkParts
        {
            Stem = stem, Units = units, UnitDecisions = decisions, Fixed = reductions, Body = Body(s, reductions),
            Head = head, Features = s.LastChannels, Dropout = 0, ClassifierBias = true,
        };
    }

    /// <summary>Stage by stage (a reduction block before every stage but the first), cell by cell: node j is the sum of
    /// its input edges' outputs on nodes 0..j-1, and the cell's output is node 3.</summary>
    private static BodyWiring Body(CellSpace s, IReadOnlyList<nn.Module<Tensor, Tensor>> reductions) => (h, unit) =>
    {
        var index = 0;
        for (var stage = 0; stage < s.Stages.Count; stage++)
        {
            if (stage > 0)
            {
                var reduced = reductions[stage - 1].call(h);
                h.Dispose();
                h = reduced;
            }
            for (var cell = 0; cell < s.CellsPerStage; cell++, index += CellSpace.Edges)
            {
                var nodes = new Tensor[4];
                nodes[0] = h;
                for (var to = 1; to < 4; to++)
                {
                    Tensor? sum = null;
                    for (var d = 0; d < CellSpace.Edges; d++)
                    {
                        var (from, into) = CellSpace.EdgeNodes[d];
                        if (into != to) continue;
                        var output = unit(index + d, nodes[from]);
                        if (sum is null) sum = output;
                        else
                        {
                            var next = sum.add(output);
                            sum.Dispose();
                            output.Dispose();
                            sum = next;
                        }
                    }
                    nodes[to] = sum!;
                }
                for (var n = 0; n < 3; n++) nodes[n].Dispose();
                h = nodes[3];
            }
        }
        return h;
    };

    protected override void DescribeSpace(CellSpace s, JsonObject spec)
    {
        spec["stem"] = s.StemChannels; spec["stemStride"] = s.StemStride; spec["cellsPerStage"] = s.CellsPerStage;
        spec["stages"] = new JsonArray(s.Stages.Select(st => (JsonNode)st.Channels).ToArray());
        spec["edges"] = new JsonArray(CellSpace.EdgeNodes.Select(e => (JsonNode)new JsonArray(e.From, e.To)).ToArray());
        spec["width"] = s.LastChannels; spec["dropout"] = 0.0; spec["finalSize"] = s.FinalSize;
        spec["classifierBias"] = true;
    }
}
