using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// SGD with momentum (PyTorch's formulation, no dampening) whose state is a set of named tensors, so checkpoints hold
/// it exactly. Parameters without a gradient this step are skipped entirely: momentum and weight decay do not move
/// the choice blocks that no sampled path used. Weight decay applies only to weights with more than one dimension.
/// </summary>
public sealed class SgdMomentum : NamedParameterOptimizer
{
    private readonly Dictionary<string, Tensor> _momentum = new(StringComparer.Ordinal);

    public SgdMomentum(IEnumerable<(string Name, Parameter Parameter)> parameters, double momentum, double weightDecay)
        : base(parameters)
    {
        if (momentum is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be >= 0.");
        Momentum = momentum;
        WeightDecay = weightDecay;
    }

    public double Momentum { get; }
    public double WeightDecay { get; }

    /// <summary>Momentum buffers by parameter name (only parameters that have had a gradient).</summary>
    public IReadOnlyDictionary<string, Tensor> MomentumBuffers => _momentum;

    /// <summary>Names of the parameters the last step updated.</summary>
    public IReadOnlyList<string> LastUpdated { get; private set; } = [];

    public void Step(double learningRate)
    {
        // Scalars are created explicitly and disposed at the end: TorchSharp's implicit Scalar conversions can be
        // finalized while the native call still reads them (see PathBatchNorm).
        using var stepScale = (-learningRate).ToScalar();
        using var decay = WeightDecay.ToScalar();
        using var momentum = Momentum.ToScalar();
        using var one = 1.0.ToScalar();
        var updated = new List<string>();
        ForEachWithGradient((name, p, grad) =>
        {
            Tensor d = WeightDecay > 0 && p.dim() > 1 ? grad.add(p, decay) : grad;
            if (Momentum > 0)
            {
                if (_momentum.TryGetValue(name, out var buffer)) buffer.mul_(momentum).add_(d, one);
                else _momentum[name] = buffer = d.detach().clone().DetachFromDisposeScope();
                d = buffer;
            }
            p.add_(d, stepScale);
            updated.Add(name);
        });
        LastUpdated = updated;
    }

    /// <summary>Replaces the momentum buffers (checkpoint restore); names must be known parameters.</summary>
    public void LoadMomentum(IReadOnlyDictionary<string, Tensor> buffers)
    {
        var known = ParametersByName();
        foreach (var t in _momentum.Values) t.Dispose();
        _momentum.Clear();
        foreach (var (name, tensor) in buffers)
        {
            if (!known.TryGetValue(name, out var p))
                throw new ArgumentException($"Momentum buffer for unknown parameter '{name}'.");
            _momentum[name] = StateFor(p, tensor, $"Momentum buffer '{name}'");
        }
    }

    public override void Dispose()
    {
        foreach (var t in _momentum.Values) t.Dispose();
        _momentum.Clear();
    }
}
