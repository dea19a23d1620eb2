using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// Adam (PyTorch's torch.optim.Adam: L2 weight decay added to the gradient, bias-corrected moments, eps outside the
/// square root) whose state is named tensors, like <see cref="SgdMomentum"/>, so checkpoints hold it exactly. It trains
/// the architecture parameters of the differentiable methods. Parameters without a gradient are skipped.
/// </summary>
public sealed class AdamOptimizer : NamedParameterOptimizer
{
    private readonly Dictionary<string, Tensor> _first = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _second = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _steps = new(StringComparer.Ordinal);

    public AdamOptimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, double beta1, double beta2,
        double weightDecay, double eps = 1e-8) : base(parameters)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be >= 0.");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive.");
        (Beta1, Beta2, WeightDecay, Eps) = (beta1, beta2, weightDecay, eps);
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double WeightDecay { get; }
    public double Eps { get; }

    public void Step(double learningRate)
    {
        ForEachWithGradient((name, p, grad) =>
        {
            var t = _steps[name] = _steps.GetValueOrDefault(name) + 1;
            // Scalars explicit and disposed at the end of the step (see SgdMomentum on implicit Scalar conversions).
            using var decay = WeightDecay.ToScalar();
            using var beta1 = Beta1.ToScalar();
            using var beta2 = Beta2.ToScalar();
            using var take1 = (1 - Beta1).ToScalar();
            using var take2 = (1 - Beta2).ToScalar();
            using var eps = Eps.ToScalar();
            Tensor g = WeightDecay > 0 ? grad.add(p, decay) : grad;
            if (!_first.TryGetValue(name, out var m)) _first[name] = m = torch.zeros_like(p).DetachFromDisposeScope();
            if (!_second.TryGetValue(name, out var v)) _second[name] = v = torch.zeros_like(p).DetachFromDisposeScope();
            m.mul_(beta1).add_(g, take1);
            v.mul_(beta2).addcmul_(g, g, take2);
            using var root2 = Math.Sqrt(1 - Math.Pow(Beta2, t)).ToScalar();
            using var stepSize = (-learningRate / (1 - Math.Pow(Beta1, t))).ToScalar();
            var denominator = v.sqrt().div_(root2).add_(eps);
            p.addcdiv_(m, denominator, stepSize);
        });
    }

    /// <summary>The state as named tensors: <c>exp_avg/NAME</c>, <c>exp_avg_sq/NAME</c>, <c>step/NAME</c> (int64).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> State()
    {
        foreach (var (name, m) in _first) yield return ("exp_avg/" + name, m);
        foreach (var (name, v) in _second) yield return ("exp_avg_sq/" + name, v);
        foreach (var (name, t) in _steps) yield return ("step/" + name, torch.tensor(t));
    }

    /// <summary>Replaces the state with <see cref="State"/>'s tensors; names must be known parameters.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> state)
    {
        var known = ParametersByName();
        Clear();
        foreach (var (key, tensor) in state)
        {
            var slash = key.IndexOf('/');
            var (kind, name) = slash < 0 ? (key, "") : (key[..slash], key[(slash + 1)..]);
            if (!known.TryGetValue(name, out var p))
                throw new ArgumentException($"Adam state '{key}' is for unknown parameter '{name}'.");
            switch (kind)
            {
                case "step":
                    _steps[name] = tensor.item<long>();
                    break;
                case "exp_avg" or "exp_avg_sq":
                    (kind == "exp_avg" ? _first : _second)[name] = StateFor(p, tensor, $"Adam state '{key}'");
                    break;
                default:
                    throw new ArgumentException($"Adam state '{key}' is of unknown kind '{kind}'.");
            }
        }
        foreach (var name in _first.Keys.Concat(_second.Keys))
            if (!_steps.ContainsKey(name) || !_first.ContainsKey(name) || !_second.ContainsKey(name))
                throw new ArgumentException($"Adam state for '{name}' is incomplete (needs exp_avg, exp_avg_sq and step).");
    }

    private void Clear()
    {
        foreach (var t in _first.Values.Concat(_second.Values)) t.Dispose();
        _first.Clear();
        _second.Clear();
        _steps.Clear();
    }

    public override void Dispose() => Clear();
}
