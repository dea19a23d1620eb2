using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Supernet.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Supernet;

/// <summary>
/// A network of a block space: a fixed stem and head around choice layers. As a supernet it holds every choice of
/// every layer (BatchNorm without affine parameters, as in SPOS and FairNAS) and runs one path per forward pass;
/// as a stand-alone network it holds only the blocks of one architecture (BatchNorm with affine parameters).
/// Parameter names are stable (<c>layers.3.2.main.pw1.conv.weight</c>): checkpoints and recalibration rely on them.
/// </summary>
public sealed class BlockNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Sequential stem;
    private readonly ModuleList<ModuleList<nn.Module<Tensor, Tensor>>> layers;
    private readonly Sequential head;
    private readonly Dropout dropout;
    private readonly Linear classifier;
    private readonly int[][] _heldChoices;
    private readonly double _dropoutRate;

    private BlockNetwork(BlockSpace space, int[][] heldChoices, bool affine) : base(space.Name)
    {
        Space = space;
        _heldChoices = heldChoices;
        IsSupernet = heldChoices.Any(h => h.Length > 1) || !affine;
        (stem, var lastWidth, var blocks) = space switch
        {
            ShuffleNetSpace s => BuildShuffle(s, heldChoices, affine),
            MbConvSpace m => BuildMb(m, heldChoices, affine),
            _ => throw new NotSupportedException($"No modules for space type {space.GetType().Name}."),
        };
        layers = nn.ModuleList(blocks.ToArray());
        var (lastChannels, dropoutRate) = space switch
        {
            ShuffleNetSpace s => (s.LastChannels, s.Dropout),
            MbConvSpace m => (m.LastChannels, m.Dropout),
            _ => throw new NotSupportedException(),
        };
        head = nn.Sequential(
            ("conv", Layers.Conv(lastWidth, lastChannels, 1)),
            ("bn", Layers.Norm(lastChannels, affine)),
            ("relu", nn.ReLU(inplace: true)),
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()));
        _dropoutRate = dropoutRate;
        dropout = nn.Dropout(dropoutRate);
        classifier = nn.Linear(lastChannels, space.Classes, hasBias: space is MbConvSpace);
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

    /// <summary>The block that runs a choice of a layer.</summary>
    public nn.Module<Tensor, Tensor> Block(int layer, int choice)
    {
        var position = Array.IndexOf(_heldChoices[layer], choice);
        if (position < 0) throw new ArgumentException($"Layer {layer} of this network does not hold choice {choice}.");
        return layers[layer][position];
    }

    /// <summary>Modules a path runs through: stem, one block per layer, head and classifier.</summary>
    public IEnumerable<nn.Module> PathModules(Architecture path)
    {
        yield return stem;
        for (var i = 0; i < path.Count; i++) yield return Block(i, path[i]);
        yield return head;
        yield return classifier;
    }

    /// <summary>Modules every path runs through (stem, head, classifier): in a FairNAS step, all m paths share them.</summary>
    public IEnumerable<nn.Module> SharedModules()
    {
        yield return stem;
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
        return Forward(x, (i, h) => Block(i, path[i]).call(h), dropoutGenerator);
    }

    /// <summary>
    /// Forward with each choice layer computed by <paramref name="layer"/> (layer index, input -> output): one path, a
    /// weighted sum of the layer's blocks (DARTS, FBNet), gated blocks (ProxylessNAS). The input is disposed after.
    /// </summary>
    public Tensor Forward(Tensor x, Func<int, Tensor, Tensor> layer, Generator? dropoutGenerator = null)
    {
        var h = stem.call(x);
        for (var i = 0; i < _heldChoices.Length; i++)
        {
            var next = layer(i, h);
            h.Dispose();
            h = next;
        }
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
        return Forward(x, (i, h) =>
        {
            Tensor? sum = null;
            for (var c = 0; c < _heldChoices[i].Length; c++)
            {
                using var output = layers[i][c].call(h);
                var term = output.mul(layerWeights[i][c]);
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

    private static (Sequential Stem, long Width, List<ModuleList<nn.Module<Tensor, Tensor>>> Blocks) BuildShuffle(
        ShuffleNetSpace s, int[][] held, bool affine)
    {
        var stem = nn.Sequential(
            ("conv", Layers.ConvBn(s.Input.Channels, s.StemChannels, 3, affine, relu: true, stride: s.StemStride, channelsLastAfterConv: true)));
        var blocks = s.Layers.Select((layer, i) => nn.ModuleList(
                held[i].Select(c => (nn.Module<Tensor, Tensor>)new ShuffleNetBlock(layer, (ShuffleChoice)c, affine)).ToArray()))
            .ToList();
        return (stem, s.StageOutChannels[^1], blocks);
    }

    private static (Sequential Stem, long Width, List<ModuleList<nn.Module<Tensor, Tensor>>> Blocks) BuildMb(
        MbConvSpace s, int[][] held, bool affine)
    {
        var stem = nn.Sequential(
            ("conv", Layers.ConvBn(s.Input.Channels, s.StemChannels, 3, affine, relu: true, stride: s.StemStride, channelsLastAfterConv: true)),
            ("dw", Layers.ConvBn(s.StemChannels, s.StemChannels, 3, affine, relu: true, stride: s.SeparableStride, groups: s.StemChannels)),
            ("pw", Layers.ConvBn(s.StemChannels, s.SeparableChannels, 1, affine, relu: false)));
        var blocks = s.Layers.Select((layer, i) => nn.ModuleList(
                held[i].Select(c => (nn.Module<Tensor, Tensor>)new MbConvBlock(layer, MbConvSpace.Choices[c], affine)).ToArray()))
            .ToList();
        return (stem, s.Layers[^1].OutChannels, blocks);
    }
}
