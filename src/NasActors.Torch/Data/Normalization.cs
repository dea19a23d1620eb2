namespace NasActors.Torch.Data;

/// <summary>Per-channel mean and standard deviation of pixel values scaled to [0, 1].</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    /// <summary>Fashion-MNIST training set (60,000 images).</summary>
    public static Normalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>CIFAR-10 training set (50,000 images).</summary>
    public static Normalization Cifar10 { get; } = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    /// <summary>Measures mean and standard deviation per channel over the given images (all when null).</summary>
    public static Normalization Compute(ImageDataset data, IReadOnlyList<int>? indices = null)
    {
        var c = data.Channels;
        var plane = data.Height * data.Width;
        var sum = new double[c];
        var sumSq = new double[c];
        var n = indices?.Count ?? data.Count;
        if (n == 0) throw new ArgumentException($"{data.Name}: no images to measure.");
        for (var k = 0; k < n; k++)
        {
            var image = data.Image(indices?[k] ?? k);
            for (var ch = 0; ch < c; ch++)
            {
                long s = 0, s2 = 0;
                foreach (var p in image.Slice(ch * plane, plane)) { s += p; s2 += p * p; }
                sum[ch] += s;
                sumSq[ch] += s2;
            }
        }
        var mean = new float[c];
        var std = new float[c];
        var count = (double)n * plane;
        for (var ch = 0; ch < c; ch++)
        {
            var m = sum[ch] / count / 255.0;
            var v = Math.Max(sumSq[ch] / count / (255.0 * 255.0) - m * m, 1e-12);
            mean[ch] = (float)m;
            std[ch] = (float)Math.Sqrt(v);
        }
        return new Normalization(mean, std);
    }

    /// <summary>Checks that it fits a dataset of the given channel count and that every std is positive.</summary>
    public void Validate(int channels)
    {
        if (Mean.Length != channels || Std.Length != channels)
            throw new ArgumentException($"normalization has {Mean.Length} means and {Std.Length} stds for {channels} channels.");
        foreach (var s in Std)
            if (!(s > 0)) throw new ArgumentException($"normalization std {s} must be positive.");
    }
}
