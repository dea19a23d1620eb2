using Akka.Actor;
using Akka.Event;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;

namespace NasActors.Cluster.Evaluation;

/// <summary>
/// The job holder of work pulling (Akka.NET 1.5.73 has no WorkPullingProducerController): populations enqueue jobs,
/// idle evaluators ask for work, and each job handed out is tracked with a deadline. Jobs of an evaluator that
/// terminated, and jobs past their deadline, go back to the front of the queue. Results are forwarded to the
/// population that enqueued the job; populations record each job once, so a job evaluated twice does no harm.
/// Nothing here is persisted: populations hand their pending jobs over again after a restart and periodically.
/// On a cluster it runs as a singleton on the <c>controller</c> role: evaluators on any node reach it through the
/// singleton proxy and ask again while idle (so a queue that moved to another node learns them within seconds),
/// and results go to the populations through the search shard region, wherever the entity lives now.
/// An evaluator that leaves gracefully hands its in-flight jobs back (<see cref="HandBackJobs"/>).
/// </summary>
public sealed class EvaluationQueue : ReceiveActor, IWithTimers
{
    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }

    private sealed record InFlight(EvaluationJob Job, IActorRef Evaluator, DateTime Deadline);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _timeout;
    private readonly LinkedList<EvaluationJob> _queued = new();
    private readonly Dictionary<string, LinkedListNode<EvaluationJob>> _queuedByKey = new();
    private readonly Dictionary<string, InFlight> _inFlight = new();
    private readonly LinkedList<IActorRef> _idle = new();
    private readonly HashSet<IActorRef> _evaluators = new();
    private readonly Dictionary<string, IActorRef> _populations = new();
    private readonly IActorRef? _searches;
    private readonly Dictionary<IActorRef, int> _done = new();
    private int _requeued;

    /// <param name="searches">The search shard region results are routed through; null: results go to the actor
    /// that enqueued the search's jobs (a local parent in tests).</param>
    public static Props Props(TimeSpan jobTimeout, IActorRef? searches = null) =>
        Akka.Actor.Props.Create(() => new EvaluationQueue(jobTimeout, searches));

    public EvaluationQueue(TimeSpan jobTimeout, IActorRef? searches = null)
    {
        _timeout = jobTimeout;
        _searches = searches;
        Receive<EnqueueJobs>(e =>
        {
            _populations[e.SearchId] = Sender;
            foreach (var job in e.Jobs)
            {
                if (_queuedByKey.ContainsKey(job.Key)) continue;
                if (_inFlight.TryGetValue(job.Key, out var f) && f.Job.Attempt >= job.Attempt) continue;
                _queuedByKey[job.Key] = _queued.AddLast(job);
            }
            Dispatch();
        });
        Receive<WithdrawJobs>(w =>
        {
            foreach (var node in _queuedByKey.Values.Where(n => n.Value.SearchId == w.SearchId).ToArray())
            {
                _queued.Remove(node);
                _queuedByKey.Remove(node.Value.Key);
            }
        });
        Receive<RequestWork>(_ =>
        {
            Register(Sender);
            // Idle evaluators repeat their request: one that holds a job sent it before the job reached it.
            if (_inFlight.Values.Any(f => f.Evaluator.Equals(Sender))) return;
            if (!_idle.Contains(Sender)) _idle.AddLast(Sender);
            Dispatch();
        });
        Receive<HandBackJobs>(h =>
        {
            // A leaving evaluator: its jobs go to the front of the queue now, and it gets no more work.
            _idle.Remove(Sender);
            if (_evaluators.Remove(Sender)) Context.Unwatch(Sender);
            foreach (var job in h.Jobs)
            {
                if (_inFlight.TryGetValue(job.Key, out var f) && f.Evaluator.Equals(Sender))
                {
                    _log.Warning("Evaluator {0} is leaving and handed back {1}: re-queued", h.Evaluator, job.Key);
                    Requeue(f);
                }
            }
            foreach (var f in _inFlight.Values.Where(f => f.Evaluator.Equals(Sender)).ToArray()) Requeue(f);
            Sender.Tell(new JobsHandedBack(h.Evaluator, h.Jobs.Count));
            Dispatch();
        });
        Receive<JobSucceeded>(r => Completed(r.SearchId, r.JobId, r.Attempt, r));
        Receive<JobFailed>(f => Completed(f.SearchId, f.JobId, f.Attempt, f));
        Receive<Terminated>(t =>
        {
            _evaluators.Remove(t.ActorRef);
            _done.Remove(t.ActorRef);
            _idle.Remove(t.ActorRef);
            foreach (var f in _inFlight.Values.Where(f => f.Evaluator.Equals(t.ActorRef)).ToArray())
            {
                _log.Warning("Evaluator {0} died holding {1}: re-queued", t.ActorRef.Path, f.Job.Key);
                Requeue(f);
            }
            Dispatch();
        });
        Receive<Tick>(_ =>
        {
            var now = DateTime.UtcNow;
            foreach (var f in _inFlight.Values.Where(f => f.Deadline <= now).ToArray())
            {
                _log.Warning("Job {0} timed out on {1} after {2}: re-queued", f.Job.Key, f.Evaluator.Path.Name, _timeout);
                Requeue(f);
            }
            Dispatch();
        });
        Receive<GetQueueStats>(_ => Sender.Tell(new QueueStats(_queued.Count, _inFlight.Count, _idle.Count, _evaluators.Count, _requeued)));
        Receive<EvaluatorInspection.GetEvaluators>(_ => Sender.Tell(Evaluators()));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var every = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(50).Ticks, _timeout.Ticks / 4));
        Timers.StartPeriodicTimer("deadlines", Tick.Instance, every);
    }

    private void Register(IActorRef evaluator)
    {
        if (_evaluators.Add(evaluator)) Context.Watch(evaluator);
    }

    private void Completed(string searchId, int jobId, int attempt, object result)
    {
        Register(Sender);
        var key = $"{searchId}#{jobId}";
        _done[Sender] = _done.GetValueOrDefault(Sender) + 1;
        if (_inFlight.TryGetValue(key, out var f) && f.Evaluator.Equals(Sender) && f.Job.Attempt == attempt) _inFlight.Remove(key);
        if (_searches is not null) _searches.Tell(result);
        else if (_populations.TryGetValue(searchId, out var population)) population.Tell(result);
        if (!_idle.Contains(Sender)) _idle.AddLast(Sender);
        Dispatch();
    }

    private EvaluatorInspection.EvaluatorList Evaluators()
    {
        var local = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
        return new EvaluatorInspection.EvaluatorList(_evaluators.OrderBy(e => e.Path.ToString(), StringComparer.Ordinal).Select(e =>
        {
            var job = _inFlight.Values.FirstOrDefault(f => f.Evaluator.Equals(e))?.Job;
            var node = e.Path.Address.HasLocalScope ? local : e.Path.Address;
            return new EvaluatorInspection.EvaluatorInfo(e.Path.Name, node.ToString(), _done.GetValueOrDefault(e), job is not null,
                job is null ? null : $"{job.Key} {job.Architecture} (attempt {job.Attempt})");
        }).ToArray());
    }

    private void Requeue(InFlight f)
    {
        _inFlight.Remove(f.Job.Key);
        _requeued++;
        if (!_queuedByKey.ContainsKey(f.Job.Key)) _queuedByKey[f.Job.Key] = _queued.AddFirst(f.Job);
    }

    private void Dispatch()
    {
        while (_queued.First is { } node && _idle.First is { } idle)
        {
            _queued.RemoveFirst();
            _idle.RemoveFirst();
            var job = node.Value;
            _queuedByKey.Remove(job.Key);
            _inFlight[job.Key] = new InFlight(job, idle.Value, DateTime.UtcNow + _timeout);
            idle.Value.Tell(job);
        }
    }
}
