using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Training;
using NasActors.Torch.Runtime;
using NasActors.Torch.Scoring;

namespace NasActors.Cluster.Evaluation;

/// <summary>
/// Scores with the torch layer: the job's checkpoint is loaded (and its SHA-256 verified) once per node and kept by
/// its SHA-256; each candidate gets BatchNorm recalibration and validation (<see cref="CandidateEvaluator"/>).
/// Jobs of kind <c>standalone</c> build the architecture alone, train it from scratch on the search's training split
/// and report its test accuracy (ranking studies' ground truth); the dataset is loaded once per (dataset, seed).
/// Evaluations run one at a time on their own thread: tensor operations already use every core.
/// </summary>
public sealed class TorchEvaluationBackend : IEvaluationBackend, IDisposable
{
    private readonly Dictionary<string, CandidateEvaluator> _bySha = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly string? _dataFolder;

    public TorchEvaluationBackend(string? dataFolder = null) => _dataFolder = dataFolder;

    /// <summary>Checkpoints loaded so far (the cache), by SHA-256.</summary>
    public IReadOnlyCollection<string> Loaded => _bySha.Keys;

    public async Task<EvaluationMetrics> EvaluateAsync(EvaluationJob job, CancellationToken cancel)
    {
        var standalone = job.Evaluation.Kind == Specs.EvaluationKind.Standalone;
        var checkpoint = job.Checkpoint;
        if (!standalone && checkpoint is null) throw new EvaluationException($"job {job.Key} names no supernet checkpoint");
        await _one.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            return await Task.Factory.StartNew(() =>
            {
                if (standalone) return TrainStandalone(job, cancel);
                var evaluator = EvaluatorFor(checkpoint!, job);
                var score = evaluator.Evaluate(Architecture.ParseChoiceString(job.Architecture));
                return new EvaluationMetrics(Math.Round(score.Accuracy * 100, 4), score.Loss, score.Flops, score.Params, score.Duration.TotalMilliseconds);
            }, cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally { _one.Release(); }
    }

    private (string Key, SearchData Data)? _standaloneData;

    private EvaluationMetrics TrainStandalone(EvaluationJob job, CancellationToken cancel)
    {
        var e = job.Evaluation;
        var dataset = job.Dataset ?? throw new EvaluationException($"job {job.Key} names no dataset");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var space = BlockSpaces.Get(job.Space);
            var architecture = space.Validate(Architecture.ParseChoiceString(job.Architecture));
            var key = $"{dataset}|{job.Seed}|{e.StandaloneTrainImages}";
            if (_standaloneData?.Key != key)
                _standaloneData = (key, SearchData.Load(dataset, _dataFolder, SearchData.DefaultValidationFraction, job.Seed)
                    .WithTrainImages(e.StandaloneTrainImages, job.Seed));
            var data = _standaloneData.Value.Data;
            data.EnsureFits(space);
            var options = new StandaloneOptions
            {
                Epochs = e.StandaloneEpochs, BatchSize = e.StandaloneBatchSize, LearningRate = e.StandaloneLearningRate,
                WeightDecay = e.StandaloneWeightDecay, Seed = job.Seed,
            };
            var runtime = TorchRuntime.Current ?? TorchRuntime.Initialize();
            var score = StandaloneTrainer.Train(space, architecture, data.TrainLoader(options.BatchSize, options.Seed), data.TestLoader(500),
                options, runtime.Device, cancel: cancel);
            var costs = space.CostModel();
            return new EvaluationMetrics(Math.Round(score.Accuracy * 100, 4), score.Loss, costs.Cost(CostMetrics.Flops, architecture),
                costs.Cost(CostMetrics.Params, architecture), clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or InvalidDataException)
        {
            throw new EvaluationException($"stand-alone training of {job.Architecture} failed: {ex.Message}", ex);
        }
    }

    private CandidateEvaluator EvaluatorFor(CheckpointRef checkpoint, EvaluationJob job)
    {
        if (_bySha.TryGetValue(checkpoint.Sha256, out var cached)) return cached;
        var runtime = TorchRuntime.Current ?? TorchRuntime.Initialize();
        var e = job.Evaluation;
        var options = new ScoringOptions
        {
            RecalibrationBatches = e.RecalibrationBatches, RecalibrationBatchSize = e.RecalibrationBatchSize,
            EvaluationBatchSize = e.EvaluationBatchSize,
        };
        try
        {
            var evaluator = new CandidateEvaluator(checkpoint.Path, options, runtime.Device, checkpoint.Sha256, _dataFolder);
            _bySha[checkpoint.Sha256] = evaluator;
            return evaluator;
        }
        catch (CheckpointException ce) { throw new EvaluationException(ce.Message, ce); }
    }

    public void Dispose()
    {
        foreach (var e in _bySha.Values) e.Dispose();
        _bySha.Clear();
    }
}
