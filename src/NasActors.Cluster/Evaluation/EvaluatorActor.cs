using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;

namespace NasActors.Cluster.Evaluation;

/// <summary>
/// An evaluator: asks the queue for work when idle (and again every <c>idlePoll</c> while idle, so a queue that
/// restarted on another node, or one this node just found by joining, learns it within seconds), scores the job with
/// its backend (off the actor's thread), and reports the result or the failure, which also tells the queue it is
/// idle again. When its node leaves gracefully (<see cref="LeaveGracefully"/>) it hands its job back unfinished.
/// </summary>
public sealed class EvaluatorActor : ReceiveActor, IWithTimers
{
    private sealed record Done(EvaluationJob Job, EvaluationMetrics? Metrics, string? Error, double Milliseconds);

    private sealed record Poll
    {
        public static Poll Instance { get; } = new();
    }

    /// <summary>Local: the node is leaving; hand the current job back to the queue and take no more. Answered with <see cref="Left"/>.</summary>
    public sealed record LeaveGracefully
    {
        public static LeaveGracefully Instance { get; } = new();
    }

    public sealed record Left(string Evaluator, int JobsHandedBack);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _queue;
    private readonly IEvaluationBackend _backend;
    private readonly TimeSpan _idlePoll;
    private readonly string _name;
    private readonly CancellationTokenSource _stop = new();
    private EvaluationJob? _current;
    private bool _leaving;
    private bool _hadJob;

    /// <param name="name">How results name this evaluator (e.g. node address and actor name); default: the actor's name.</param>
    /// <param name="idlePoll">While idle, the request for work is repeated this often (default 2 s).</param>
    public static Props Props(IActorRef queue, IEvaluationBackend backend, string? name = null, TimeSpan? idlePoll = null) =>
        Akka.Actor.Props.Create(() => new EvaluatorActor(queue, backend, name, idlePoll));

    public EvaluatorActor(IActorRef queue, IEvaluationBackend backend, string? name, TimeSpan? idlePoll)
    {
        _queue = queue;
        _backend = backend;
        _idlePoll = idlePoll ?? TimeSpan.FromSeconds(2);
        _name = name ?? Self.Path.Name;
        Receive<EvaluationJob>(job =>
        {
            // Leaving, or a job that crossed a repeated request while busy: give it straight back.
            if (_leaving || _current is not null) { _queue.Tell(new HandBackJobs(_name, [job])); return; }
            Start(job);
        });
        Receive<Done>(d =>
        {
            if (_current?.Key != d.Job.Key || _current.Attempt != d.Job.Attempt) return;
            _current = null;
            if (_leaving) return; // handed back already
            Hosting.NasMetrics.RecordJob(d.Job.SearchId, d.Metrics is null, d.Milliseconds);
            if (d.Metrics is { } m)
                _queue.Tell(new JobSucceeded(d.Job.SearchId, d.Job.JobId, d.Job.Attempt, d.Job.Architecture,
                    m with { Milliseconds = Math.Round(d.Milliseconds, 3) }, d.Job.Checkpoint?.Sha256, _name));
            else
            {
                _log.Warning("Job {0} attempt {1} failed: {2}", d.Job.Key, d.Job.Attempt, d.Error);
                _queue.Tell(new JobFailed(d.Job.SearchId, d.Job.JobId, d.Job.Attempt, d.Job.Architecture, d.Error!, _name));
            }
            // The result tells the queue this evaluator is idle; repeat the request only if nothing comes.
            Timers.StartPeriodicTimer("poll", Poll.Instance, _idlePoll);
        });
        Receive<Poll>(_ =>
        {
            if (_current is null && !_leaving) _queue.Tell(new RequestWork(_name));
        });
        Receive<LeaveGracefully>(_ =>
        {
            _leaving = true;
            Timers.CancelAll();
            var jobs = _current is null ? Array.Empty<EvaluationJob>() : [_current];
            if (jobs.Length > 0) _log.Info("Leaving: handing job {0} back", jobs[0].Key);
            _queue.Tell(new HandBackJobs(_name, jobs)); // with no job, it still tells the queue to forget this evaluator
            _stop.Cancel();
            _current = null;
            Sender.Tell(new Left(_name, jobs.Length));
        });
        Receive<JobsHandedBack>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        _queue.Tell(new RequestWork(_name));
        Timers.StartPeriodicTimer("poll", Poll.Instance, _idlePoll);
    }

    protected override void PostStop() => _stop.Cancel();

    private void Start(EvaluationJob job)
    {
        if (!_hadJob) _log.Info("Evaluator {0} took its first job: {1}", _name, job.Key);
        _hadJob = true;
        _current = job;
        Timers.Cancel("poll");
        var clock = Stopwatch.StartNew();
        Task<EvaluationMetrics> task;
        try { task = _backend.EvaluateAsync(job, _stop.Token); }
        catch (Exception e) { task = Task.FromException<EvaluationMetrics>(e); }
        Hosting.TensorWork.Get(Context.System).Track(task); // a stopping node waits for it (native code at exit crashes)
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
