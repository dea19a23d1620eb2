using NasActors.Core.Costs;

namespace NasActors.Core.Spaces.Blocks;

/// <summary>Shape of the input images a block space is built for.</summary>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// A supernet search space made of choice blocks: a fixed stem and head around L choice layers. The same
/// description drives the analytic cost model (here) and the TorchSharp modules (torch layer), so the two cannot
/// disagree on shapes.
/// </summary>
public abstract class BlockSpace : LayerChoiceSpace
{
    protected BlockSpace(string name, ImageShape input, int classes, IReadOnlyList<int> choiceCounts) : base(name, choiceCounts)
    {
        Input = input;
        Classes = classes;
    }

    public ImageShape Input { get; }
    public int Classes { get; }

    /// <summary>Human-readable name of a choice of a layer, e.g. <c>shuffle-k5</c> or <c>mb-e6-k7</c>.</summary>
    public abstract string ChoiceName(int layer, int choice);

    /// <summary>Cost of the fixed parts (stem, head, classifier).</summary>
    public abstract LayerCost FixedCost();

    /// <summary>Cost of one choice of one layer.</summary>
    public abstract LayerCost ChoiceCost(int layer, int choice);

    public LayerCost Cost(Architecture architecture)
    {
        this.Validate(architecture);
        var total = FixedCost();
        for (var i = 0; i < architecture.Count; i++) total += ChoiceCost(i, architecture[i]);
        return total;
    }

    /// <summary>The analytic cost model: FLOPs (multiply-adds) and params, additive per layer.</summary>
    public AdditiveCostModel CostModel()
    {
        var fixedCost = FixedCost();
        var flops = new double[ChoiceCounts.Count][];
        var parameters = new double[ChoiceCounts.Count][];
        for (var i = 0; i < ChoiceCounts.Count; i++)
        {
            flops[i] = new double[ChoiceCounts[i]];
            parameters[i] = new double[ChoiceCounts[i]];
            for (var c = 0; c < ChoiceCounts[i]; c++)
            {
                var cost = ChoiceCost(i, c);
                flops[i][c] = cost.MultiplyAdds;
                parameters[i][c] = cost.Parameters;
            }
        }
        return new AdditiveCostModel(this, new Dictionary<string, (double, double[][])>
        {
            [CostMetrics.Flops] = (fixedCost.MultiplyAdds, flops),
            [CostMetrics.Params] = (fixedCost.Parameters, parameters),
        });
    }

    /// <summary>A multi-line description: every layer with its shape and choices.</summary>
    public abstract string Describe();

    /// <summary>
    /// One canonical line with everything that shapes the network or its training (widths, strides, sizes, choices,
    /// dropout): two builds whose definitions of a space name differ would read each other's checkpoints wrongly.
    /// </summary>
    public abstract string Definition();

    /// <summary>SHA-256 of <see cref="Definition"/>, hex: recorded in checkpoints, checked when they are read.</summary>
    public string DefinitionHash() =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Definition())));
}
