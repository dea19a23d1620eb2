using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>
/// The frame of the optimizers whose state is named tensors (<see cref="SgdMomentum"/>, <see cref="AdamOptimizer"/>),
/// so checkpoints hold it exactly: the named parameters they train, the step over those that have a gradient, and
/// the checks of a restored state tensor against its parameter.
/// </summary>
public abstract class NamedParameterOptimizer : IDisposable
{
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _parameters;

    protected NamedParameterOptimizer(IEnumerable<(string Name, Parameter Parameter)> parameters) =>
        _parameters = parameters.ToArray();

    /// <summary>Runs <paramref name="update"/> (name, parameter, gradient) without autograd for every parameter with a
    /// gradient, in order, each in its own dispose scope; parameters without one are skipped entirely.</summary>
    protected void ForEachWithGradient(Action<string, Parameter, Tensor> update)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in _parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            using var scope = torch.NewDisposeScope();
            update(name, p, grad);
        }
    }

    /// <summary>The parameters by name, to check restored state against.</summary>
    protected Dictionary<string, Parameter> ParametersByName() =>
        _parameters.ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);

    /// <summary>A restored state tensor as the parameter's own copy on its device; <paramref name="what"/> names it in the
    /// error when its shape is not the parameter's.</summary>
    protected static Tensor StateFor(Parameter parameter, Tensor tensor, string what)
    {
        if (!parameter.shape.SequenceEqual(tensor.shape))
            throw new ArgumentException($"{what} has shape [{string.Join(",", tensor.shape)}], the parameter [{string.Join(",", parameter.shape)}].");
        return tensor.to(parameter.device).detach().clone().DetachFromDisposeScope();
    }

    public abstract void Dispose();
}
