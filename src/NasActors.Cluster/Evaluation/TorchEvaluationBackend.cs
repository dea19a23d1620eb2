using NasActors.Core.Spaces;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Runtime;
using NasActors.Torch.Scoring;

namespace NasActors.Cluster.Evaluation;

/// <summary>
/// Scores with the torch layer: the job's checkpoint is loaded (and its SHA-256 verified) once per node and kept by
/// its SHA-256; each candidate gets BatchNorm recalibration and validation (<see cref="CandidateEvaluator"/>).
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
        var checkpoint = job.Checkpoint ?? throw new EvaluationException($"job {job.Key} names no supernet checkpoint");
        await _one.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            return await Task.Factory.StartNew(() =>
            {
                var evaluator = EvaluatorFor(checkpoint, job);
                var score = evaluator.Evaluate(Architecture.ParseChoiceString(job.Architecture));
                return new EvaluationMetrics(Math.Round(score.Accuracy * 100, 4), score.Loss, score.Flops, score.Params, score.Duration.TotalMilliseconds);
            }, cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally { _one.Release(); }
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
