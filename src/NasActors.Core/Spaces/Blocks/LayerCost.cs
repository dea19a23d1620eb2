namespace NasActors.Core.Spaces.Blocks;

/// <summary>
/// Multiply-adds and parameters of the operations of a block network, counted the way the SPOS and FairNAS papers
/// count them: convolutions and the classifier contribute multiply-adds; parameters are those of the stand-alone
/// network (convolution weights, affine BatchNorm scale and shift, classifier weights and bias).
/// </summary>
public readonly record struct LayerCost(double MultiplyAdds, long Parameters)
{
    public static LayerCost Zero => new(0, 0);

    public static LayerCost operator +(LayerCost a, LayerCost b) => new(a.MultiplyAdds + b.MultiplyAdds, a.Parameters + b.Parameters);

    /// <summary>Output side length of a square convolution with padding k/2.</summary>
    public static int OutputSize(int inputSize, int kernel, int stride) => (inputSize + 2 * (kernel / 2) - kernel) / stride + 1;

    /// <summary>A bias-free convolution on a square input.</summary>
    public static LayerCost Conv(int inChannels, int outChannels, int kernel, int stride, int inputSize, int groups = 1)
    {
        var o = OutputSize(inputSize, kernel, stride);
        var weights = (long)outChannels * (inChannels / groups) * kernel * kernel;
        return new LayerCost((double)o * o * weights, weights);
    }

    /// <summary>Convolution followed by an affine BatchNorm (2 parameters per channel, no multiply-adds counted).</summary>
    public static LayerCost ConvBn(int inChannels, int outChannels, int kernel, int stride, int inputSize, int groups = 1) =>
        Conv(inChannels, outChannels, kernel, stride, inputSize, groups) + new LayerCost(0, 2L * outChannels);

    public static LayerCost Linear(int inFeatures, int outFeatures, bool bias) =>
        new((double)inFeatures * outFeatures, (long)inFeatures * outFeatures + (bias ? outFeatures : 0));
}
