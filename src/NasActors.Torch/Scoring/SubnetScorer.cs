using NasActors.Core.Spaces;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Scoring;

/// <summary>Accuracy (fraction in [0, 1]) and mean cross-entropy of a network on a split.</summary>
public sealed record Score(double Accuracy, double Loss, int Images);

/// <summary>How sub-networks are scored with inherited weights.</summary>
public sealed record ScoringOptions
{
    public const int DefaultRecalibrationBatches = 8, DefaultRecalibrationBatchSize = 128;

    /// <summary>
    /// Validation batch size on a CPU: small batches keep a small network's activations in cache (the times per
    /// batch size: docs/quickstart-recipe.md).
    /// GPU nodes want large batches (the rank study's GPU preset uses 1,000).
    /// </summary>
    public const int DefaultEvaluationBatchSize = 32;

    /// <summary>Training batches forwarded to recalibrate BatchNorm statistics.</summary>
    public int RecalibrationBatches { get; init; } = DefaultRecalibrationBatches;
    public int RecalibrationBatchSize { get; init; } = DefaultRecalibrationBatchSize;
    public int EvaluationBatchSize { get; init; } = DefaultEvaluationBatchSize;

    public void Validate()
    {
        if (RecalibrationBatches < 1) throw new ArgumentException($"scoring.recalibration-batches must be at least 1, got {RecalibrationBatches}.");
        if (RecalibrationBatchSize < 1) throw new ArgumentException($"scoring.recalibration-batch-size must be at least 1, got {RecalibrationBatchSize}.");
        if (EvaluationBatchSize < 1) throw new ArgumentException($"scoring.evaluation-batch-size must be at least 1, got {EvaluationBatchSize}.");
    }
}

/// <summary>
/// Scores sub-networks of one loaded supernet: BatchNorm recalibration for the path on training images, then
/// accuracy and loss on the validation split. Many candidates reuse the same supernet and data.
/// </summary>
public sealed class SubnetScorer
{
    private readonly BlockNetwork _supernet;
    private readonly BatchLoader _recalibration;
    private readonly BatchLoader _validation;
    private readonly ScoringOptions _options;
    private readonly Device _device;

    /// <param name="trainImages">Indices of training images usable for recalibration.</param>
    public SubnetScorer(BlockNetwork supernet, DatasetBundle data, IReadOnlyList<int> trainImages,
        IReadOnlyList<int> validationImages, ScoringOptions options, Device device, long seed)
    {
        options.Validate();
        _supernet = supernet;
        _options = options;
        _device = device;
        _recalibration = new BatchLoader(data.Train, options.RecalibrationBatchSize, seed, data.Normalization,
            trainImages, shuffle: true, dropLast: true);
        _validation = new BatchLoader(data.Train, options.EvaluationBatchSize, seed, data.Normalization,
            validationImages, shuffle: false);
    }

    public Score Score(Architecture path)
    {
        _supernet.Space.Validate(path);
        BatchNormRecalibration.Run(_supernet, path, _recalibration, _options.RecalibrationBatches, _device);
        return Evaluate(_supernet, path, _validation, _device);
    }

    /// <summary>Accuracy and loss of a path (or a stand-alone network's own path) on every batch of a loader, in eval mode.</summary>
    public static Score Evaluate(BlockNetwork network, Architecture path, BatchLoader data, Device device)
    {
        using var noGrad = torch.no_grad();
        var wasTraining = network.training;
        network.eval();
        try
        {
            double lossSum = 0;
            long correct = 0, images = 0;
            foreach (var batch in data.Epoch(0, device))
            {
                using var scope = torch.NewDisposeScope();
                using var b = batch;
                var logits = network.Forward(b.Images, path);
                lossSum += nn.functional.cross_entropy(logits, b.Labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(b.Labels).sum().item<long>();
                images += b.Size;
            }
            return new Score((double)correct / images, lossSum / images, (int)images);
        }
        finally
        {
            network.train(wasTraining);
        }
    }
}
