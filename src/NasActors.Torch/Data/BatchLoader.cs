using System.Runtime.InteropServices;
using NasActors.Core.Determinism;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Data;

/// <summary>One batch: images float32 NCHW (normalised) and labels int64 N.</summary>
public sealed class TensorBatch : IDisposable
{
    public TensorBatch(Tensor images, Tensor labels, long position, int[] indices)
    {
        Images = images;
        Labels = labels;
        Position = position;
        Indices = indices;
    }

    public Tensor Images { get; }
    public Tensor Labels { get; }

    /// <summary>The batch's position in the stream (epoch * BatchesPerEpoch + index within the epoch).</summary>
    public long Position { get; }

    /// <summary>The dataset indices of its images, in order.</summary>
    public int[] Indices { get; }

    public int Size => Indices.Length;

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Turns an <see cref="ImageDataset"/> (or part of it, by indices) into a stream of batches. The stream is a pure
/// function of (seed, position): epoch e visits the images in the order of a permutation drawn from
/// DeterministicRandom.For(seed, "batch-order", e), cut into batches of <see cref="BatchSize"/> (the last, smaller
/// one dropped when dropLast). Batch k of the stream is batch k % BatchesPerEpoch of epoch k / BatchesPerEpoch, so a
/// trainer that stored its step counter resumes exactly with <see cref="GetBatch"/>. Tensors are created in the
/// caller's current dispose scope (or must be disposed by the caller).
/// </summary>
public sealed class BatchLoader
{
    private readonly ImageDataset _data;
    private readonly int[] _indices;
    private readonly float[][] _lookup;
    private long _cachedEpoch = -1;
    private int[]? _cachedOrder;
    private readonly object _gate = new();

    public BatchLoader(ImageDataset data, int batchSize, long seed, Normalization normalization,
                       IReadOnlyList<int>? indices = null, bool shuffle = true, bool dropLast = false)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "must be positive.");
        normalization.Validate(data.Channels);
        _data = data;
        _indices = indices?.ToArray() ?? Enumerable.Range(0, data.Count).ToArray();
        foreach (var i in _indices)
            if ((uint)i >= (uint)data.Count) throw new ArgumentOutOfRangeException(nameof(indices), $"index {i} outside [0, {data.Count}).");
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
        Normalization = normalization;
        BatchesPerEpoch = dropLast ? _indices.Length / batchSize : (_indices.Length + batchSize - 1) / batchSize;
        if (BatchesPerEpoch == 0)
            throw new ArgumentException($"{data.Name}: {_indices.Length} images make no batch of {batchSize}" + (dropLast ? " with drop-last." : "."));
        _lookup = new float[data.Channels][];
        for (var c = 0; c < data.Channels; c++)
        {
            _lookup[c] = new float[256];
            for (var p = 0; p < 256; p++) _lookup[c][p] = (p / 255f - normalization.Mean[c]) / normalization.Std[c];
        }
    }

    public int BatchSize { get; }
    public long Seed { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }
    public Normalization Normalization { get; }

    /// <summary>How many images the loader draws from.</summary>
    public int Count => _indices.Length;

    public int BatchesPerEpoch { get; }

    /// <summary>The dataset indices in the order epoch <paramref name="epoch"/> visits them (a fresh copy).</summary>
    public int[] EpochOrder(long epoch) => (int[])CachedEpochOrder(epoch).Clone();

    private int[] CachedEpochOrder(long epoch)
    {
        if (epoch < 0) throw new ArgumentOutOfRangeException(nameof(epoch));
        lock (_gate)
        {
            if (_cachedEpoch == epoch && _cachedOrder != null) return _cachedOrder;
            var order = (int[])_indices.Clone();
            if (Shuffle) DeterministicRandom.For(Seed, "batch-order", epoch).Shuffle(order);
            _cachedEpoch = epoch;
            _cachedOrder = order;
            return order;
        }
    }

    /// <summary>The dataset indices of batch <paramref name="position"/> of the stream.</summary>
    public int[] BatchIndices(long position)
    {
        if (position < 0) throw new ArgumentOutOfRangeException(nameof(position));
        var epoch = position / BatchesPerEpoch;
        var within = (int)(position % BatchesPerEpoch);
        var order = CachedEpochOrder(epoch);
        var start = within * BatchSize;
        var size = Math.Min(BatchSize, order.Length - start);
        return order.AsSpan(start, size).ToArray();
    }

    /// <summary>Batch <paramref name="position"/> of the stream as tensors, on <paramref name="device"/> (CPU when null).</summary>
    public TensorBatch GetBatch(long position, Device? device = null)
    {
        var idx = BatchIndices(position);
        var (images, labels) = ToTensors(idx, device);
        return new TensorBatch(images, labels, position, idx);
    }

    /// <summary>All batches of one epoch, in order.</summary>
    public IEnumerable<TensorBatch> Epoch(long epoch, Device? device = null)
    {
        for (var b = 0; b < BatchesPerEpoch; b++)
            yield return GetBatch(epoch * BatchesPerEpoch + b, device);
    }

    /// <summary>Writes the normalised float32 pixels of the given images (NCHW, flattened) into <paramref name="destination"/>.</summary>
    private void NormalizePixels(IReadOnlyList<int> indices, Span<float> destination)
    {
        var size = _data.ImageSize;
        var plane = _data.Height * _data.Width;
        for (var n = 0; n < indices.Count; n++)
        {
            var image = _data.Image(indices[n]);
            var o = n * size;
            for (var c = 0; c < _data.Channels; c++)
            {
                var lut = _lookup[c];
                var src = image.Slice(c * plane, plane);
                var dst = destination.Slice(o + c * plane, plane);
                for (var i = 0; i < plane; i++) dst[i] = lut[src[i]];
            }
        }
    }

    private (Tensor Images, Tensor Labels) ToTensors(int[] idx, Device? device)
    {
        // The pixels are written straight into the tensor's memory: a managed array per batch (400 KB at batch 128
        // on 28x28) lands on the large object heap, and its churn set off a full garbage collection every 15 steps or
        // so, whose background thread then competed with LibTorch's threads for the cores.
        var images = torch.empty([idx.Length, _data.Channels, _data.Height, _data.Width], ScalarType.Float32);
        NormalizePixels(idx, MemoryMarshal.Cast<byte, float>(images.bytes));
        var labels = new long[idx.Length];
        for (var i = 0; i < idx.Length; i++) labels[i] = _data.Labels[idx[i]];
        var labelTensor = torch.tensor(labels, new long[] { idx.Length });
        if (device is null || device.type == DeviceType.CPU) return (images, labelTensor);
        var movedImages = images.to(device);
        var movedLabels = labelTensor.to(device);
        images.Dispose();
        labelTensor.Dispose();
        return (movedImages, movedLabels);
    }
}
