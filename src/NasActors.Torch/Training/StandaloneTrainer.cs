using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Data;
using NasActors.Torch.Scoring;
using NasActors.Torch.Supernet;
using TorchSharp;
using static TorchSharp.torch;

namespace NasActors.Torch.Training;

/// <summary>How a chosen architecture is trained from scratch.</summary>
public sealed record StandaloneOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public double LabelSmoothing { get; init; } = 0.1;
    public long Seed { get; init; } = 1;

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"standalone.epochs must be at least 1, got {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"standalone.batch-size must be at least 1, got {BatchSize}.");
        if (LearningRate <= 0) throw new ArgumentException($"standalone.learning-rate must be positive, got {LearningRate}.");
    }
}

/// <summary>Progress of a stand-alone training, once per epoch.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, int Images);

/// <summary>
/// Builds only the chosen path as its own network (affine BatchNorm), trains it from scratch and reports test
/// accuracy: the ground truth that one-shot scores are ranked against.
/// </summary>
public static class StandaloneTrainer
{
    public static Score Train(BlockSpace space, Architecture architecture, BatchLoader train, BatchLoader test,
        StandaloneOptions options, Device device, Action<EpochMetrics>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        if (train.BatchSize != options.BatchSize)
            throw new ArgumentException($"The training loader yields batches of {train.BatchSize}, the options ask for {options.BatchSize}.");
        using var network = BlockNetwork.StandAlone(space, architecture,
            (long)(DeterministicRandom.Mix(options.Seed, "standalone-init", architecture.GetHashCode()) >> 1));
        network.to(device);
        using var dropout = BlockNetwork.NewDropoutGenerator();
        network.DropoutGenerator = dropout;
        using var optimizer = new SgdMomentum(network.named_parameters(), options.Momentum, options.WeightDecay);
        var totalSteps = (long)options.Epochs * train.BatchesPerEpoch;
        var schedule = new LearningRateSchedule(options.LearningRate, totalSteps, LearningRateDecay.Cosine);
        long step = 0;
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            network.train();
            double lossSum = 0;
            long correct = 0, images = 0;
            for (var b = 0; b < train.BatchesPerEpoch; b++, step++)
            {
                cancel.ThrowIfCancellationRequested(); // between steps: a stopping node does not wait for the whole training
                using var scope = torch.NewDisposeScope();
                using var batch = train.GetBatch(step, device);
                network.zero_grad();
                dropout.manual_seed((long)(DeterministicRandom.Mix(options.Seed, "standalone-dropout", step) >> 1));
                var logits = network.forward(batch.Images);
                var loss = nn.functional.cross_entropy(logits, batch.Labels, label_smoothing: options.LabelSmoothing);
                loss.backward();
                optimizer.Step(schedule.At(step));
                lossSum += loss.item<float>() * batch.Size;
                correct += logits.argmax(1).eq(batch.Labels).sum().item<long>();
                images += batch.Size;
            }
            progress?.Invoke(new EpochMetrics(epoch + 1, lossSum / images, (double)correct / images, (int)images));
        }
        return SubnetScorer.Evaluate(network, architecture, test, device);
    }
}
