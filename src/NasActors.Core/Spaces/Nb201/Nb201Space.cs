namespace NasActors.Core.Spaces.Nb201;

/// <summary>
/// The NAS-Bench-201 cell space: 4 nodes, 6 edges, each edge one of 5 operations (5^6 = 15,625 cells).
/// Decision order is the order of the cell string <c>|op~0|+|op~0|op~1|+|op~0|op~1|op~2|</c>: the edge into node 1
/// from node 0; into node 2 from 0 and 1; into node 3 from 0, 1 and 2. Choice i is <see cref="Operations"/>[i].
/// </summary>
public sealed class Nb201Space : ISearchSpace
{
    public const string SpaceName = "nb201";

    private static readonly string[] OperationNames = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"];

    public static IReadOnlyList<string> Operations => OperationNames;

    public static Nb201Space Instance { get; } = new();

    private static readonly int[] Inputs = [0, 0, 1, 0, 1, 2];

    public string Name => SpaceName;
    public IReadOnlyList<int> ChoiceCounts { get; } = [5, 5, 5, 5, 5, 5];

    public string Format(Architecture architecture)
    {
        this.Validate(architecture);
        var ops = Enumerable.Range(0, 6).Select(i => $"{Operations[architecture[i]]}~{Inputs[i]}").ToArray();
        return $"|{ops[0]}|+|{ops[1]}|{ops[2]}|+|{ops[3]}|{ops[4]}|{ops[5]}|";
    }

    public Architecture Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nodes = text.Trim().Split('+');
        if (nodes.Length != 3) throw new ArchitectureFormatException(text, $"a cell has 3 nodes separated by '+', this has {nodes.Length}");
        var choices = new List<int>(6);
        for (var node = 0; node < 3; node++)
        {
            var part = nodes[node];
            if (part.Length < 2 || part[0] != '|' || part[^1] != '|')
                throw new ArchitectureFormatException(text, $"node {node + 1} must be written |op~i|...|");
            var edges = part[1..^1].Split('|');
            if (edges.Length != node + 1)
                throw new ArchitectureFormatException(text, $"node {node + 1} has {node + 1} input edges, this has {edges.Length}");
            for (var input = 0; input < edges.Length; input++)
            {
                var tilde = edges[input].LastIndexOf('~');
                var op = tilde < 0 ? edges[input] : edges[input][..tilde];
                var from = tilde < 0 ? "" : edges[input][(tilde + 1)..];
                if (from != input.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    throw new ArchitectureFormatException(text, $"edge '{edges[input]}' of node {node + 1} must come from node {input}");
                var index = Array.IndexOf(OperationNames, op);
                if (index < 0)
                    throw new ArchitectureFormatException(text, $"unknown operation '{op}' (known: {string.Join(", ", Operations)})");
                choices.Add(index);
            }
        }
        return new Architecture(choices);
    }

    public override string ToString() => "nb201 (NAS-Bench-201 cell: 6 edges x 5 operations)";
}
