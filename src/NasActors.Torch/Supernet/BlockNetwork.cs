using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet.Blocks;
using NasActors.Torch.Supernet.Families;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet;

/// <summary>
/// A network of a block space: a fixed stem and head around choice units (one per layer of a block space, one per
/// edge of every cell of a cell space), built and wired by the space's family (<see cref="SpaceFamilies"/>). As a
/// supernet it holds every choice of every unit (BatchNorm without affine parameters, as in SPOS and FairNAS) and runs
/// one path per forward pass; as a stand-alone network it holds only the blocks of one architecture (BatchNorm with
/// affine parameters). Parameter names are stable (<c>layers.3.2.main.pw1.conv.weight</c>, <c>layers.UNIT.CHOICE</c>):
/// checkpoints and recalibration rely on them.
/// </summary>
public sealed class BlockNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly ModuleList<ModuleList<nn.Module<Tensor, Tensor>>> layers;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> body;
    private readonly Sequential head;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly int[][] _heldChoices;
    private readonly double _dropoutRate;
    private readonly ChoiceUnit[] _units;
    private readonly BodyWiring _wiring;

    private BlockNetwork(BlockSpace space, int[][] heldChoices, bool affine) : base(space.Name)
    {
        Space = space;
        _heldChoices = heldChoices;
        IsSupernet = heldChoices.Any(h => h.Length > 1) || !affine;
        // Built in this order (stem, units, body, head, classifier): the order of the weight initialisation's draws.
        var parts = SpaceFamilies.Of(space).Build(space, heldChoices, affine);
        stem = parts.Stem;
        layers = nn.ModuleList(parts.Units.ToArray());
        _units = parts.UnitDecisions.Select((d, i) => new ChoiceUnit(i, d)).ToArray();
        body = nn.ModuleList(parts.Fixed.ToArray());
        _wiring = parts.Body;
        head = parts.Head;
        _dropoutRate = parts.Dropout;
        dropout = nn.Dropout(parts.Dropout);
        classifier = nn.Linear(parts.Features, space.Classes, hasBias: parts.ClassifierBias);
        RegisterComponents();
    }

    /// <summary>The weight-sharing supernet: every choice of every layer, BatchNorm without affine parameters.</summary>
    /// <param name="initSeed">Seeds weight initialization; without it the weights are whatever the global generator gives.</param>
    public static BlockNetwork Supernet(BlockSpace space, long? initSeed = null) =>
        Build(() => new BlockNetwork(space, space.ChoiceCounts.Select(m => Enumerable.Range(0, m).ToArray()).ToArray(), affine: false), initSeed);

    /// <summary>
    /// One block per layer, the given architecture's, BatchNorm without affine parameters: a supernet whose layers are
    /// each one weight-sharing block (Single-Path NAS's superkernels: the widest, largest-kernel choice of every layer).
    /// </summary>
    public static BlockNetwork SingleBlockSupernet(BlockSpace space, Architecture blocks, long? initSeed = null)
    {
        space.Validate(blocks);
        return Build(() => new BlockNetwork(space, blocks.Select(c => new[] { c }).ToArray(), affine: false), initSeed);
    }

    /// <summary>Only the blocks of one architecture, BatchNorm with affine parameters: trained from scratch.</summary>
    public static BlockNetwork StandAlone(BlockSpace space, Architecture architecture, long? initSeed = null)
    {
        space.Validate(architecture);
        return Build(() => new BlockNetwork(space, architecture.Select(c => new[] { c }).ToArray(), affine: true), initSeed);
    }

    public BlockSpace Space { get; }
    public bool IsSupernet { get; }

    /// <summary>The choices of each layer this network holds (all for a supernet, one for a stand-alone network).</summary>
    public IReadOnlyList<int[]> HeldChoices => _heldChoices;

    /// <summary>The single path of a stand-alone network.</summary>
    public Architecture? OwnPath => IsSupernet ? null : new Architecture(_heldChoices.Select(h => h[0]));

    /// <summary>
    /// Where the decisions apply, in the order a forward pass runs them: one unit per layer in a block space, one per
    /// edge of every cell in a cell space (a decision then has as many units as cells).
    /// </summary>
    public IReadOnlyList<ChoiceUnit> Units => _units;

    /// <summary>True when every decision has exactly one unit, unit i being decision i (the block spaces).</summary>
    public bool OneUnitPerDecision => _units.Length == _heldChoices.Length;

    /// <summary>The block that runs a choice of a layer (block spaces: one unit per decision).</summary>
    public nn.Module<Tensor, Tensor> Block(int layer, int choice)
    {
        if (!OneUnitPerDecision)
            throw new InvalidOperationException(
                $"Space '{Space.Name}' has {_units.Length} units for {_heldChoices.Length} decisions (a cell space): a block is asked for by unit.");
        return Block(_units[layer], choice);
    }

    /// <summary>The block that runs a choice in a unit.</summary>
    public nn.Module<Tensor, Tensor> Block(ChoiceUnit unit, int choice)
    {
        var position = Array.IndexOf(_heldChoices[unit.Decision], choice);
        if (position < 0) throw new ArgumentException($"Decision {unit.Decision} of this network does not hold choice {choice}.");
        return layers[unit.Index][position];
    }

    /// <summary>Modules a path runs through: stem, one block per unit, the body's fixed modules, head and classifier.</summary>
    public IEnumerable<nn.Module> PathModules(Architecture path)
    {
        yield return stem;
        foreach (var unit in _units) yield return Block(unit, path[unit.Decision]);
        foreach (var m in body) yield return m;
        yield return head;
        yield return classifier;
    }

    /// <summary>Modules every path runs through (stem, fixed body modules, head, classifier): in a FairNAS step, all m paths share them.</summary>
    public IEnumerable<nn.Module> SharedModules()
    {
        yield return stem;
        foreach (var m in body) yield return m;
        yield return head;
        yield return classifier;
    }

    /// <summary>The parameters a path trains, in a fixed order: stem, the path's blocks, head, classifier.</summary>
    public IReadOnlyList<Parameter> PathParameters(Architecture path) =>
        PathModules(path).SelectMany(m => m.parameters()).Where(p => p.requires_grad).ToList();

    /// <summary>Forward through one path (through <c>call</c>, so forward hooks see every block that runs).</summary>
    /// <param name="dropoutGenerator">Draws this pass's dropout masks; null: <see cref="DropoutGenerator"/>.</param>
    public Tensor Forward(Tensor x, Architecture path, Generator? dropoutGenerator = null)
    {
        if (path.Count != _heldChoices.Length)
            throw new ArgumentException($"Path has {path.Count} layers, the network {_heldChoices.Length}.");
        return Forward(x, (u, h) => Block(u, path[u.Decision]).call(h), dropoutGenerator);
    }

    /// <summary>
    /// Forward with each choice unit computed by <paramref name="unit"/> (unit, input -> output; it leaves the input
    /// alone): one path, a weighted sum of the unit's blocks (DARTS, FBNet), gated blocks (ProxylessNAS).
    /// </summary>
    public Tensor Forward(Tensor x, Func<ChoiceUnit, Tensor, Tensor> unit, Generator? dropoutGenerator = null)
    {
        var h = _wiring(stem.call(x), (i, input) => unit(_units[i], input));
        var features = head.call(h);
        var generator = dropoutGenerator ?? DropoutGenerator;
        return classifier.call(generator is null ? dropout.call(features) : SeededDropout(features, generator));
    }

    /// <summary>The stem alone: the input of the first choice layer (per-layer latency measurement times blocks on it).</summary>
    public Tensor ForwardStem(Tensor x) => stem.call(x);

    /// <summary>Head and classifier on the last choice layer's output (dropout as in <see cref="Forward(Tensor, Architecture, Generator?)"/>).</summary>
    public Tensor ForwardHead(Tensor h)
    {
        using var features = head.call(h);
        return classifier.call(DropoutGenerator is { } g ? SeededDropout(features, g) : dropout.call(features));
    }

    /// <summary>Forward through every block of every layer, each layer's outputs summed with its weights (one per held choice).</summary>
    public Tensor ForwardMixed(Tensor x, IReadOnlyList<Tensor> layerWeights, Generator? dropoutGenerator = null)
    {
        if (layerWeights.Count != _heldChoices.Length)
            throw new ArgumentException($"{layerWeights.Count} weight vectors for {_heldChoices.Length} layers.");
        return Forward(x, (u, h) =>
        {
            Tensor? sum = null;
            for (var c = 0; c < _heldChoices[u.Decision].Length; c++)
            {
                using var output = layers[u.Index][c].call(h);
                var term = output.mul(layerWeights[u.Decision][c]);
                if (sum is null) sum = term;
                else
                {
                    var next = sum.add(term);
                    sum.Dispose();
                    term.Dispose();
                    sum = next;
                }
            }
            return sum!;
        }, dropoutGenerator);
    }

    /// <summary>
    /// On a CPU, lay feature maps out channels-last from the stem's first convolution's output on (default: LibTorch then runs
    /// oneDNN's channels-last kernels, faster on a CPU: docs/step-benchmark.md; the values are those of the NCHW layout
    /// up to rounding). Off: NCHW-contiguous all the way. No effect on CUDA.
    /// </summary>
    public bool ChannelsLastOnCpu
    {
        get => stem.modules().OfType<ChannelsLast>().All(m => m.Enabled);
        set { foreach (var m in stem.modules().OfType<ChannelsLast>()) m.Enabled = value; }
    }

    /// <summary>
    /// When set, dropout draws its masks from this generator instead of LibTorch's global one, so a trainer's draws do
    /// not depend on what other trainers or evaluators in the same process do.
    /// </summary>
    public Generator? DropoutGenerator { get; set; }

    /// <summary>
    /// A generator for <see cref="DropoutGenerator"/>. It lives on the CPU whatever the network's device: a CUDA
    /// generator made through TorchSharp 0.107 crashes the process in PyTorch 2.11's LibTorch (found with
    /// <c>nas doctor</c>: docs/gpu.md), and CPU draws give the same masks on every device.
    /// </summary>
    public static Generator NewDropoutGenerator() => new(0, torch.CPU);

    /// <summary>
    /// Weight initialization draws from LibTorch's global generator: networks are built one at a time, right after
    /// seeding it, so a seeded network is the same whatever else the process builds at the same moment.
    /// </summary>
    private static BlockNetwork Build(Func<BlockNetwork> build, long? seed)
    {
        lock (GlobalGenerator)
        {
            if (seed is { } s) torch.manual_seed(s);
            return build();
        }
    }

    private static readonly object GlobalGenerator = new();

    /// <summary>
    /// Builds other modules (a method's hypernetwork or controller) while no network is being built: their default
    /// initialisation draws from the global generator too, and must not interleave with a seeded network's draws.
    /// </summary>
    public static T BuildAside<T>(Func<T> build)
    {
        lock (GlobalGenerator) return build();
    }

    private Tensor SeededDropout(Tensor x, Generator generator)
    {
        if (!training || _dropoutRate <= 0) return x;
        using var rate = _dropoutRate.ToScalar();
        using var scale = (1.0 / (1.0 - _dropoutRate)).ToScalar();
        using var draws = torch.rand(x.shape, generator: generator);
        using var keep = draws.ge(rate).to(x.device);
        return x.mul(keep).mul(scale);
    }

    /// <summary>Stand-alone networks only: forward through their own path.</summary>
    public override Tensor forward(Tensor x) =>
        Forward(x, OwnPath ?? throw new InvalidOperationException("A supernet needs a path: call Forward(x, path)."));
}
