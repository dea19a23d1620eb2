using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Methods.FbNet;

/// <summary>
/// Gumbel-softmax (Jang et al., 2017): softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn from a given generator
/// (TorchSharp has no gumbel_softmax, and a seeded generator keeps the draws a pure function of (seed, purpose, step)).
/// As tau falls the samples approach one-hot draws from softmax(logits) (the Gumbel-max trick).
/// </summary>
public static class GumbelSoftmax
{
    /// <summary>Gumbel(0, 1) noise of a shape: -log(-log(U)), U uniform on the CPU generator, then moved to the device.</summary>
    public static Tensor Noise(long[] shape, Generator generator, Device device, ScalarType dtype = ScalarType.Float32)
    {
        using var uniform = torch.rand(shape, generator: generator, dtype: ScalarType.Float64).clamp_min(1e-300);
        using var gumbel = uniform.log().neg_().log().neg_();
        return gumbel.to(dtype).to(device);
    }

    /// <summary>softmax((logits + noise) / temperature) over the last dimension.</summary>
    public static Tensor Apply(Tensor logits, Tensor noise, double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be positive.");
        return logits.add(noise).div(temperature).softmax(-1);
    }

    public static Tensor Sample(Tensor logits, double temperature, Generator generator) =>
        Apply(logits, Noise(logits.shape, generator, logits.device, logits.dtype), temperature);
}
