using System.Text.Json.Serialization;
using NasActors.Cluster.Protocol;
using NasActors.Core.Controllers;
using NasActors.Torch.Methods;
using NasActors.Torch.Training;

namespace NasActors.Cluster.Specs;

/// <summary>How the supernet of a search is trained (the torch layer's options, as a spec gives them).</summary>
public sealed record TrainingSpec(
    string Method, long Steps, int BatchSize, double LearningRate, long WarmupSteps, long CheckpointEvery,
    EvaluateOn EvaluateOn,
    // FairNAS: divide the gradient of parameters every path used (stem, head) by the paths of the step.
    bool MeanGradients = false,
    // SGD momentum, weight decay (weights with more than one dimension only) and label smoothing of the loss; the
    // defaults are the torch layer's (SupernetTrainingOptions) when a spec is built. Journals store the resolved values;
    // those written before these keys are read with the values of their day (Serialization.TrainingSpecUpcaster).
    double Momentum = SupernetTrainingOptions.DefaultMomentum, double WeightDecay = SupernetTrainingOptions.DefaultWeightDecay,
    double LabelSmoothing = SupernetTrainingOptions.DefaultLabelSmoothing,
    // The method's own settings (the spec's training.METHOD { ... } block), as key/value text read by the method's
    // registration (TrainingMethodInfo.ReadSettings); null or empty: the method's published defaults.
    IReadOnlyDictionary<string, string>? MethodSettings = null) : INasMessage
{
    /// <summary>The torch layer's options for this training, the method's settings applied and everything validated
    /// (a bad setting throws <see cref="ControllerSettingsException"/> naming its key).</summary>
    public SupernetTrainingOptions ToOptions(long seed) => TrainingMethods.WithSettings(new SupernetTrainingOptions
    {
        Method = Method, Steps = Steps, BatchSize = BatchSize, LearningRate = LearningRate, WarmupSteps = WarmupSteps, Seed = seed,
        MeanGradientOverPaths = MeanGradients, Momentum = Momentum, WeightDecay = WeightDecay, LabelSmoothing = LabelSmoothing,
    }, MethodSettings);
}

/// <summary>How candidates are scored.</summary>
public sealed record EvaluationSpec(
    EvaluationKind Kind,
    // Stub only: time one evaluation takes.
    TimeSpan StubCost,
    // Stub only: a benchmark table to read results from (null: a synthetic score from the architecture).
    string? Table,
    // Stub only: the table column that is the signal (accuracy).
    string? Signal,
    // Stub only: architectures whose evaluation fails (tests of retries), as choice strings.
    IReadOnlyList<string> FailArchitectures,
    // Stub only: how many times each of FailArchitectures fails before it succeeds (0 = always fails).
    int FailTimes,
    // Torch only: BatchNorm recalibration batches and sizes.
    int RecalibrationBatches, int RecalibrationBatchSize, int EvaluationBatchSize,
    // Standalone only: each architecture is built alone, trained from scratch on the training split and scored on the
    // test set (the ground truth of ranking studies). TrainImages > 0 cuts the training split (smoke tests).
    int StandaloneEpochs = 2, int StandaloneBatchSize = 128, double StandaloneLearningRate = 0.1,
    double StandaloneWeightDecay = 5e-4, int StandaloneTrainImages = 0) : INasMessage;

/// <summary>
/// A search as the user asked for it: persisted whole in <c>SearchSubmitted</c>, so a search replays with the spec
/// it was started with, whatever the files say later.
/// </summary>
public sealed record SearchSpec(
    string Name, string Space, string Dataset, string Controller, IReadOnlyDictionary<string, string> ControllerSettings,
    int Budget, IReadOnlyList<string> Constraints, long Seed, TrainingSpec Training, EvaluationSpec Evaluation,
    // Evaluations of one job tried at most this many times before it is recorded as failed for good.
    int MaxAttempts,
    // How many of the best architectures the results list.
    int TopK) : INasMessage
{
    // True when the search trains a supernet before (or, evaluate-on = intermediate, while) it evaluates: torch
    // evaluation scores candidates with its inherited weights; the derived controller proposes what the training
    // method exports (its distribution or derived architectures), whatever evaluation kind then scores them. False
    // (stub or standalone evaluation, any other controller): no trainer runs and evaluation starts at submission.
    public bool NeedsSupernet => Evaluation.Kind == EvaluationKind.Torch
                                 || string.Equals(Controller.Trim(), ControllerNames.Derived, StringComparison.OrdinalIgnoreCase);
}

/// <summary>When a search with a supernet starts evaluating (<c>search.training.evaluate-on</c>; stored by these names).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EvaluateOn>))]
public enum EvaluateOn
{
    /// <summary>Once the supernet training completed.</summary>
    [JsonStringEnumMemberName("final")] Final,
    /// <summary>From the first checkpoint on, while training goes on.</summary>
    [JsonStringEnumMemberName("intermediate")] Intermediate,
}

/// <summary>How candidates are scored (<c>search.evaluation.kind</c>; stored by these names).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EvaluationKind>))]
public enum EvaluationKind
{
    /// <summary>The supernet's inherited weights, BatchNorm recalibration, validation accuracy.</summary>
    [JsonStringEnumMemberName("torch")] Torch,
    /// <summary>No tensors: a benchmark table's or a synthetic score (tests, benchmarks).</summary>
    [JsonStringEnumMemberName("stub")] Stub,
    /// <summary>Stand-alone training from scratch, test accuracy (no supernet).</summary>
    [JsonStringEnumMemberName("standalone")] Standalone,
}
