namespace NasActors.Torch.Data;

/// <summary>
/// An image classification dataset held in managed memory: <see cref="Count"/> images of
/// <see cref="Channels"/> x <see cref="Height"/> x <see cref="Width"/> bytes each (CHW order, one byte per pixel
/// and channel) and one label byte per image in [0, <see cref="Classes"/>). No tensors: reading and checking are
/// testable without the native library; <see cref="BatchLoader"/> turns it into tensors.
/// </summary>
public sealed class ImageDataset
{
    public ImageDataset(string name, byte[] pixels, byte[] labels, int count, int channels, int height, int width, int classes)
    {
        // Labels are bytes: a dataset of more than 256 classes (the synthetic one at ImageNet's 1000) labels only the first 256.
        if (count < 0 || channels <= 0 || height <= 0 || width <= 0 || classes <= 0 || classes > 65536)
            throw new ArgumentException($"{name}: invalid dataset shape {count}x{channels}x{height}x{width}, {classes} classes.");
        if (pixels.LongLength != (long)count * channels * height * width)
            throw new DatasetFormatException(name, $"{pixels.LongLength} pixel bytes for {count} images of {channels}x{height}x{width}.");
        if (labels.Length != count)
            throw new DatasetFormatException(name, $"{count} images but {labels.Length} labels.");
        for (var i = 0; i < labels.Length; i++)
            if (labels[i] >= classes)
                throw new DatasetFormatException(name, $"label {labels[i]} of image {i} is out of range [0, {classes}).");
        Name = name;
        Pixels = pixels;
        Labels = labels;
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>Where it came from (a file, a folder, a resource), used in messages.</summary>
    public string Name { get; }

    /// <summary>All images, one after another, each in CHW order.</summary>
    public byte[] Pixels { get; }

    public byte[] Labels { get; }
    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }

    /// <summary>Bytes per image: channels x height x width.</summary>
    public int ImageSize => Channels * Height * Width;

    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * ImageSize, ImageSize);

    /// <summary>How many images each class holds.</summary>
    public int[] ClassCounts()
    {
        var counts = new int[Classes];
        foreach (var l in Labels) counts[l]++;
        return counts;
    }

    /// <summary>
    /// Checks that the images fit a search space's input (channels, height, width); throws a
    /// <see cref="DatasetFormatException"/> naming both sizes otherwise.
    /// </summary>
    public void EnsureImageShape(int channels, int height, int width)
    {
        if (channels != Channels || height != Height || width != Width)
            throw new DatasetFormatException(Name,
                $"images are {Channels}x{Height}x{Width} (channels x height x width), but {channels}x{height}x{width} is expected.");
    }

    /// <summary>A copy holding the given images, in the given order.</summary>
    public ImageDataset Subset(IReadOnlyList<int> indices, string? name = null)
    {
        var size = ImageSize;
        var pixels = new byte[(long)indices.Count * size];
        var labels = new byte[indices.Count];
        for (var i = 0; i < indices.Count; i++)
        {
            var src = indices[i];
            if ((uint)src >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {src} outside [0, {Count}).");
            Array.Copy(Pixels, (long)src * size, pixels, (long)i * size, size);
            labels[i] = Labels[src];
        }
        return new ImageDataset(name ?? Name + $" (subset of {indices.Count})", pixels, labels, indices.Count, Channels, Height, Width, Classes);
    }

    public override string ToString() => $"{Name}: {Count} images {Channels}x{Height}x{Width}, {Classes} classes";
}
