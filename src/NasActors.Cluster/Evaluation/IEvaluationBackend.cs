namespace NasActors.Cluster.Evaluation;

/// <summary>How an evaluator scores a job. Must be idempotent: the same job gives the same metrics.</summary>
public interface IEvaluationBackend
{
    Task<EvaluationMetrics> EvaluateAsync(EvaluationJob job, CancellationToken cancel);
}

/// <summary>A job that cannot be scored (the message says why); the population records the failure and retries.</summary>
public sealed class EvaluationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Picks the backend by the job's evaluation kind; the torch one is made only when a torch job comes.</summary>
public sealed class EvaluationBackends(Func<IEvaluationBackend> torch) : IEvaluationBackend, IDisposable
{
    private readonly StubEvaluationBackend _stub = new();
    private readonly Lazy<IEvaluationBackend> _torch = new(torch, LazyThreadSafetyMode.ExecutionAndPublication);

    public Task<EvaluationMetrics> EvaluateAsync(EvaluationJob job, CancellationToken cancel) => job.Evaluation.Kind switch
    {
        Specs.EvaluationKind.Stub => _stub.EvaluateAsync(job, cancel),
        Specs.EvaluationKind.Torch or Specs.EvaluationKind.Standalone => _torch.Value.EvaluateAsync(job, cancel),
        var k => Task.FromException<EvaluationMetrics>(new EvaluationException($"unknown evaluation kind '{k}'")),
    };

    public void Dispose()
    {
        if (_torch.IsValueCreated && _torch.Value is IDisposable d) d.Dispose();
    }
}
