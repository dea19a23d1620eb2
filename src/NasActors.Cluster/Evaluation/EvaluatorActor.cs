using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;

namespace NasActors.Cluster.Evaluation;

/// <summary>
/// An evaluator: asks the queue for work when idle, scores the job with its backend (off the actor's thread), and
/// reports the result or the failure, which also tells the queue it is idle again.
/// </summary>
public sealed class EvaluatorActor : ReceiveActor
{
    private sealed record Done(EvaluationJob Job, EvaluationMetrics? Metrics, string? Error, double Milliseconds);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _queue;
    private readonly IEvaluationBackend _backend;
    private readonly CancellationTokenSource _stop = new();

    public static Props Props(IActorRef queue, IEvaluationBackend backend) =>
        Akka.Actor.Props.Create(() => new EvaluatorActor(queue, backend));

    public EvaluatorActor(IActorRef queue, IEvaluationBackend backend)
    {
        _queue = queue;
        _backend = backend;
        Receive<EvaluationJob>(Start);
        Receive<Done>(d =>
        {
            var name = Self.Path.Name;
            if (d.Metrics is { } m)
                _queue.Tell(new JobSucceeded(d.Job.SearchId, d.Job.JobId, d.Job.Attempt, d.Job.Architecture,
                    m with { Milliseconds = Math.Round(d.Milliseconds, 3) }, d.Job.Checkpoint?.Sha256, name));
            else
            {
                _log.Warning("Job {0} attempt {1} failed: {2}", d.Job.Key, d.Job.Attempt, d.Error);
                _queue.Tell(new JobFailed(d.Job.SearchId, d.Job.JobId, d.Job.Attempt, d.Job.Architecture, d.Error!, name));
            }
        });
    }

    protected override void PreStart() => _queue.Tell(new RequestWork(Self.Path.Name));

    protected override void PostStop() => _stop.Cancel();

    private void Start(EvaluationJob job)
    {
        var clock = Stopwatch.StartNew();
        Task<EvaluationMetrics> task;
        try { task = _backend.EvaluateAsync(job, _stop.Token); }
        catch (Exception e) { task = Task.FromException<EvaluationMetrics>(e); }
        task.ContinueWith(t => t.IsCompletedSuccessfully
                ? new Done(job, t.Result, null, clock.Elapsed.TotalMilliseconds)
                : new Done(job, null, Describe(t.Exception?.GetBaseException()), clock.Elapsed.TotalMilliseconds),
            TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
    }

    private static string Describe(Exception? e) => e switch
    {
        null => "cancelled",
        EvaluationException ee => ee.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
