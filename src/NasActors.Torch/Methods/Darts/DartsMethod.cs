using NasActors.Torch.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.Darts;

/// <summary>
/// DARTS (Liu et al., 2019) on a block space: every layer outputs the softmax(alpha)-weighted sum of all its choice
/// blocks. A step is an architecture step on an architecture-split batch (first order: the gradient of the
/// architecture loss at the current weights; second order: through one virtual SGD step of the weights, its
/// Hessian-vector product by central finite differences), then a weight step on a training batch. Discretisation on
/// a block space is the per-layer argmax. Published defaults (see <see cref="Recipe"/> for the weights): alpha Adam
/// 3e-4, betas (0.5, 0.999), weight decay 1e-3, alpha initialised as 1e-3 * N(0, 1).
/// </summary>
public sealed class DartsMethod(MethodContext context) : DifferentiableMethod(context, Defaults)
{
    public const string MethodName = "darts";

    public static ArchitectureDefaults Defaults { get; } = new(3e-4, 0.5, 0.999, 1e-3, 1e-3);

    public static TrainingMethodInfo Info { get; } = new(MethodName,
        "softmax(alpha)-weighted sum of every layer's choices; alpha by Adam on half the training split",
        ArchitectureFraction: 0.5, c => new DartsMethod(c)) { Recipe = Recipe, ReadSettings = ReadSettings };

    /// <summary>The common settings (<see cref="DifferentiableMethod.ReadCommonSettings"/>) and <c>second-order</c>.</summary>
    public static SupernetTrainingOptions ReadSettings(SupernetTrainingOptions options, Core.Controllers.SettingsReader r)
    {
        var o = ReadCommonSettings(options, r, Recipe);
        return o with { Architecture = o.Architecture with { SecondOrder = r.Bool("second-order", o.Architecture.SecondOrder) } };
    }

    /// <summary>DARTS's published weight recipe: SGD 0.025 cosine to 0.001, momentum 0.9, weight decay 3e-4,
    /// gradient clipping at 5, no label smoothing.</summary>
    public static SupernetTrainingOptions Recipe(SupernetTrainingOptions options) => options with
    {
        Method = MethodName, LearningRate = 0.025, MinLearningRate = 0.001, Momentum = 0.9, WeightDecay = 3e-4,
        GradientClip = 5, LabelSmoothing = 0, Decay = LearningRateDecay.Cosine,
    };

    /// <summary>The finite-difference step is this over the norm of the validation gradient (DARTS's r).</summary>
    public const double FiniteDifferenceScale = 0.01;

    public override string Name => MethodName;

    protected override Tensor WeightForward(Tensor images, long step, Generator dropout) =>
        Network.ForwardMixed(images, Softmaxes(detach: true), dropout);

    public override void ArchitectureStep(long step, double weightLearningRate)
    {
        using var scope = torch.NewDisposeScope();
        Network.train();
        using var valid = ArchitectureData.GetBatch(step, Context.Device);
        Tensor ValidLoss() => ArchitectureLoss(valid, x =>
            Network.ForwardMixed(x, Softmaxes(detach: false), DropoutGenerator("darts-valid-dropout", step)));
        Tensor[] gradients;
        if (!Context.Options.Architecture.SecondOrder)
        {
            gradients = torch.autograd.grad([ValidLoss()], Alphas.Cast<Tensor>().ToList()).ToArray();
        }
        else
        {
            using var train = Context.Data.GetBatch(step, Context.Device);
            // The same dropout masks in every evaluation of the training loss: the finite difference must see one function.
            Tensor TrainLoss() => ArchitectureLoss(train, x =>
                Network.ForwardMixed(x, Softmaxes(detach: false), DropoutGenerator("darts-unrolled-dropout", step)));
            gradients = UnrolledHypergradient(Weights, Alphas, TrainLoss, ValidLoss, weightLearningRate, WeightOptimizer);
        }
        StepArchitecture(gradients);
    }

    /// <summary>
    /// DARTS's second-order architecture gradient: dL_val(w', alpha)/dalpha with w' = w - xi * (the SGD update direction
    /// at w: momentum * buffer + dL_train/dw + weight decay * w, exactly what <paramref name="optimizer"/> would apply),
    /// i.e. dL_val/dalpha(w') - xi * d2L_train/(dalpha dw) . dL_val/dw'(w'), the second term by central differences
    /// at w +- eps * dL_val/dw' with eps = 0.01 / ||dL_val/dw'||. The weights are restored bitwise before it returns.
    /// </summary>
    public static Tensor[] UnrolledHypergradient(IReadOnlyList<(string Name, Parameter Parameter)> weights, IReadOnlyList<Parameter> alphas,
        Func<Tensor> trainLoss, Func<Tensor> validLoss, double xi, SgdMomentum optimizer)
    {
        var w = weights.Select(p => (Tensor)p.Parameter).ToList();
        var a = alphas.Cast<Tensor>().ToList();
        var trainGradient = Gradients(trainLoss(), w);
        var saved = w.Select(t => t.detach().clone()).ToArray();
        try
        {
            // Scalars explicit and disposed (see SgdMomentum on implicit Scalar conversions).
            using var decay = optimizer.WeightDecay.ToScalar();
            using var momentum = optimizer.Momentum.ToScalar();
            using var step = (-xi).ToScalar();
            using (torch.no_grad())
            {
                for (var k = 0; k < w.Count; k++)
                {
                    if (trainGradient[k] is not { } g) continue; // the real SGD step skips it too
                    var d = optimizer.WeightDecay > 0 && w[k].dim() > 1 ? g.add(w[k], decay) : g;
                    if (optimizer.Momentum > 0 && optimizer.MomentumBuffers.TryGetValue(weights[k].Name, out var buffer))
                        d = buffer.mul(momentum).add(d);
                    w[k].add_(d, step);
                }
            }
            var validGradients = Gradients(validLoss(), a.Concat(w).ToList());
            var direct = validGradients[..a.Count].Select((g, i) => g ?? torch.zeros_like(a[i])).ToArray();
            var v = validGradients[a.Count..];
            Restore(w, saved);
            var squared = v.Where(g => g is not null).Select(g => g!.square().sum()).Aggregate(torch.zeros(1, device: w[0].device), (s, x) => s.add(x));
            var norm = squared.to(ScalarType.Float64).sqrt().item<double>();
            if (!(norm > 0)) return direct; // the validation loss does not depend on the weights: no implicit term
            var eps = FiniteDifferenceScale / norm;
            using var plusEps = eps.ToScalar();
            using var minusEps = (-eps).ToScalar();
            using var halfOverEps = (1 / (2 * eps)).ToScalar();

            Tensor[] AlphaGradientAt(Scalar shift)
            {
                using (torch.no_grad())
                    for (var k = 0; k < w.Count; k++)
                        if (v[k] is { } vk) w[k].copy_(saved[k].add(vk, shift));
                var g = Gradients(trainLoss(), a).Select((t, i) => t ?? torch.zeros_like(a[i])).ToArray();
                Restore(w, saved);
                return g;
            }
            var plus = AlphaGradientAt(plusEps);
            var minus = AlphaGradientAt(minusEps);
            return direct.Select((d, i) => d.add(plus[i].sub(minus[i]).mul(halfOverEps), step)).ToArray();
        }
        finally
        {
            Restore(w, saved);
            foreach (var s in saved) s.Dispose();
        }
    }

    private static void Restore(IReadOnlyList<Tensor> weights, IReadOnlyList<Tensor> saved)
    {
        using var noGrad = torch.no_grad();
        for (var k = 0; k < weights.Count; k++) weights[k].copy_(saved[k]);
    }
}
