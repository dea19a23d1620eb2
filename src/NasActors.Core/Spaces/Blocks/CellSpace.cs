using System.Text;
using NasActors.Core.Spaces.Nb201;

namespace NasActors.Core.Spaces.Blocks;

/// <summary>One stage of a cell network: its width, its feature map side, and whether a residual reduction block enters it.</summary>
public sealed record CellStage(int Channels, int InputSize, bool Reduction);

/// <summary>
/// The NAS-Bench-201 cell stacked as a trainable network (Dong and Yang, 2020): a 3x3 conv-BN stem, then stages of
/// <see cref="CellsPerStage"/> cells, a residual reduction block (ReLU-conv3x3 s2-BN, ReLU-conv3x3-BN, shortcut
/// 2x2 average pool + 1x1 conv) between stages, then BN-ReLU, global pool and a linear classifier. Every cell has the
/// same 6 edges, each one of none / skip / conv 1x1 / conv 3x3 / avg-pool 3x3 (convolutions as ReLU-conv-BN); one
/// decision per edge, shared by all cells. The encoding is <see cref="Nb201Space"/>'s: the same decisions, choices and
/// cell string (<c>|nor_conv_3x3~0|+|...</c>), so an nb201 architecture is one of this space; choice strings
/// (<c>331033</c>) are accepted too.
/// </summary>
public sealed class CellSpace : BlockSpace
{
    /// <summary>Choice indices of <see cref="Nb201Space.Operations"/>.</summary>
    public const int None = 0, Skip = 1, Conv1x1 = 2, Conv3x3 = 3, AvgPool = 4;

    /// <summary>Edges of a cell.</summary>
    public const int Edges = 6;

    /// <summary>Node an edge (decision) leaves and node it enters, in decision order (nb201's cell string order).</summary>
    public static readonly IReadOnlyList<(int From, int To)> EdgeNodes = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)];

    public CellSpace(string name, ImageShape input, int classes, int stemStride, IReadOnlyList<int> stageChannels, int cellsPerStage)
        : base(name, input, classes, Nb201Space.Instance.ChoiceCounts)
    {
        if (stageChannels.Count == 0) throw new ArgumentException("A cell network needs at least one stage.", nameof(stageChannels));
        if (cellsPerStage < 1) throw new ArgumentException("A stage needs at least one cell.", nameof(cellsPerStage));
        StemStride = stemStride;
        CellsPerStage = cellsPerStage;
        var stages = new List<CellStage>();
        var size = LayerCost.OutputSize(input.Height, 3, stemStride);
        for (var s = 0; s < stageChannels.Count; s++)
        {
            if (s > 0) size = LayerCost.OutputSize(size, 3, 2);
            stages.Add(new CellStage(stageChannels[s], size, Reduction: s > 0));
        }
        Stages = stages;
        FinalSize = size;
    }

    public int StemStride { get; }
    public int StemChannels => Stages[0].Channels;
    public int CellsPerStage { get; }
    public IReadOnlyList<CellStage> Stages { get; }
    public int FinalSize { get; }
    public int LastChannels => Stages[^1].Channels;

    /// <summary>Total cells: every one has an edge of each decision.</summary>
    public int Cells => Stages.Count * CellsPerStage;

    public override string ChoiceName(int layer, int choice) => Nb201Space.Operations[choice];

    /// <summary>The nb201 cell string.</summary>
    public override string Format(Architecture architecture) => Nb201Space.Instance.Format(this.Validate(architecture));

    /// <summary>An nb201 cell string, or a choice string / tuple of 6 choices.</summary>
    public override Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.TrimStart().StartsWith('|') ? this.Validate(Nb201Space.Instance.Parse(text), text) : base.Parse(text);
    }

    /// <summary>
    /// What derived architectures are drawn from (DARTS's discretisation of a cell): per edge, the strongest operation
    /// other than none; the <c>derived</c> controller ranks by it, so its first proposal is <see cref="Discretise"/>.
    /// </summary>
    public static ArchitectureDistribution Derivation(ArchitectureDistribution distribution) => distribution.Excluding(None);

    /// <summary>DARTS's cell: every edge's strongest operation other than none (the lowest index on ties).</summary>
    public static Architecture Discretise(ArchitectureDistribution distribution) => Derivation(distribution).Argmax();

    /// <summary>Edges of the architecture that are skip connections or none (DARTS's known collapse).</summary>
    public static (int Skip, int None) SkipAndNone(Architecture architecture) =>
        (architecture.Count(c => c == Skip), architecture.Count(c => c == None));

    public override LayerCost FixedCost()
    {
        var stem = LayerCost.ConvBn(Input.Channels, StemChannels, 3, StemStride, Input.Height);
        var total = stem;
        for (var s = 1; s < Stages.Count; s++) total += ReductionCost(Stages[s - 1], Stages[s]);
        // Head: BN (affine: 2 per channel) and ReLU before the pool; the classifier has a bias.
        return total + new LayerCost(0, 2L * LastChannels) + LayerCost.Linear(LastChannels, Classes, bias: true);
    }

    /// <summary>The residual reduction block into <paramref name="to"/>: conv_a (s2), conv_b, and the shortcut's 1x1 conv after a 2x2 pool.</summary>
    public static LayerCost ReductionCost(CellStage from, CellStage to) =>
        LayerCost.ConvBn(from.Channels, to.Channels, 3, 2, from.InputSize)
        + LayerCost.ConvBn(to.Channels, to.Channels, 3, 1, to.InputSize)
        + LayerCost.Conv(from.Channels, to.Channels, 1, 1, to.InputSize);

    /// <summary>An edge's operation summed over every cell (the decision is shared by all of them).</summary>
    public override LayerCost ChoiceCost(int layer, int choice)
    {
        var total = LayerCost.Zero;
        foreach (var stage in Stages)
        {
            var one = choice switch
            {
                Conv1x1 => LayerCost.ConvBn(stage.Channels, stage.Channels, 1, 1, stage.InputSize),
                Conv3x3 => LayerCost.ConvBn(stage.Channels, stage.Channels, 3, 1, stage.InputSize),
                _ => LayerCost.Zero,
            };
            for (var c = 0; c < CellsPerStage; c++) total += one;
        }
        return total;
    }

    public override string Definition() => FormattableString.Invariant(
        $"cell {Name} input {Input} classes {Classes} stem {StemChannels}/s{StemStride} cells/stage {CellsPerStage} ") +
        string.Join(" ", Stages.Select(s => FormattableString.Invariant($"[{s.Channels}@{s.InputSize}{(s.Reduction ? "/r" : "")}]"))) +
        $" edges {string.Join(",", EdgeNodes.Select(e => $"{e.From}>{e.To}"))} ops {string.Join(",", Nb201Space.Operations)}";

    public override string Describe()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Name}: input {Input}, {Classes} classes, NAS-Bench-201 cell: {Edges} edges x {Nb201Space.Operations.Count} operations ({string.Join(", ", Nb201Space.Operations)})");
        sb.AppendLine($"  stem conv3x3 s{StemStride} -> {StemChannels}");
        for (var s = 0; s < Stages.Count; s++)
        {
            var st = Stages[s];
            if (st.Reduction) sb.AppendLine($"  residual reduction -> {st.Channels} s2");
            sb.AppendLine($"  stage {s}: {CellsPerStage} cell(s) x {st.Channels} @ {st.InputSize}x{st.InputSize}");
        }
        sb.AppendLine($"  BN, ReLU, global pool, linear -> {Classes}");
        return sb.ToString();
    }
}
