using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using NasActors.Cluster.Evaluation;
using static NasActors.Cluster.Training.TrainingEvents;
using static NasActors.Cluster.Training.TrainingProtocol;

namespace NasActors.Cluster.Training;

/// <summary>
/// The supernet trainer of one search (persistence id <c>trainer-{search id}</c>): a sharded entity on the
/// <c>trainer</c> role that reports to the search region, or (tests, no cluster) a child of its population. It
/// persists TrainingStarted, each CheckpointSaved (with the method's distribution, for methods that learn one) and
/// TrainingCompleted, and after a crash resumes from the last checkpoint it persisted (the torch layer resumes every
/// method bitwise, so the final architecture parameters are those of a run never stopped). The training itself runs on its own thread; its callbacks come back as messages.
/// </summary>
public sealed class SupernetTrainerActor : ReceivePersistentActor
{
    private sealed record Finished(TrainedCheckpoint Final);
    private sealed record Crashed(string Reason);
    private sealed record Saved(TrainedCheckpoint Checkpoint);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ISupernetTrainingBackend _backend;
    private readonly string _checkpointFolder;
    private readonly CancellationTokenSource _stop = new();
    private bool _started;
    private CheckpointRef? _last;
    private TrainingCompleted? _completed;
    private Task? _running;
    private readonly IActorRef? _reportTo;

    /// <param name="reportTo">Where reports go (the search shard region); null: the parent (the population).</param>
    public static Props Props(string searchId, ISupernetTrainingBackend backend, string checkpointRoot, IActorRef? reportTo = null) =>
        Akka.Actor.Props.Create(() => new SupernetTrainerActor(searchId, backend, Core.Input.ConfinedPath.Combine(checkpointRoot, searchId), reportTo));

    public SupernetTrainerActor(string searchId, ISupernetTrainingBackend backend, string checkpointFolder, IActorRef? reportTo = null)
    {
        SearchId = searchId;
        _backend = backend;
        _checkpointFolder = checkpointFolder;
        _reportTo = reportTo;

        Recover<TrainingStarted>(_ => _started = true);
        Recover<CheckpointSaved>(c => _last = c.Checkpoint);
        Recover<TrainingCompleted>(c => { _completed = c; _last = c.Checkpoint; });

        Command<StartTraining>(s =>
        {
            if (_completed is not null) { Report(_completed); return; }
            if (_running is not null) return;
            if (!_started)
                Persist(new TrainingStarted(SearchId, s.Spec.Training.Method, s.Spec.Training.Steps), _ => { _started = true; Run(s); });
            else Run(s);
        });
        Command<Saved>(s => Persist(new CheckpointSaved(SearchId, s.Checkpoint.Checkpoint, s.Checkpoint.Loss, s.Checkpoint.Accuracy,
            s.Checkpoint.Distribution), e =>
        {
            _last = e.Checkpoint;
            Report(e);
        }));
        Command<TrainingProgressed>(p => Report(p));
        Command<Finished>(f => Persist(new TrainingCompleted(SearchId, f.Final.Checkpoint, f.Final.Distribution), e =>
        {
            _completed = e;
            _last = e.Checkpoint;
            _running = null;
            Report(e);
        }));
        Command<Crashed>(c =>
        {
            _running = null;
            _log.Error("Training of search {0} failed: {1}", SearchId, c.Reason);
            Report(new TrainingFailed(SearchId, c.Reason));
        });
        Command<StopTraining>(_ =>
        {
            _stop.Cancel();
            // Sharded: stop through the shard, which buffers messages meanwhile; a child is stopped by its population.
            if (_reportTo is not null) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
        });
    }

    private void Report(object message) => (_reportTo ?? Context.Parent).Tell(message);

    public string SearchId { get; }
    public override string PersistenceId => "trainer-" + SearchId;

    private void Run(StartTraining s)
    {
        // A checkpoint persisted but missing on disk (deleted, other machine): start over rather than fail.
        var resume = _last is not null && File.Exists(_last.Path) ? _last : null;
        var self = Self;
        var request = new TrainingRequest(SearchId, s.Spec, _checkpointFolder, resume);
        _running = Task.Factory.StartNew(() =>
        {
            try
            {
                var final = _backend.Train(request, c => self.Tell(new Saved(c)), p => self.Tell(p), _stop.Token);
                self.Tell(new Finished(final));
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { self.Tell(new Crashed($"{e.GetType().Name}: {e.Message}")); }
        }, TaskCreationOptions.LongRunning);
        Hosting.TensorWork.Get(Context.System).Track(_running); // a stopping node waits for it (native code at exit crashes)
    }

    protected override void PostStop()
    {
        _stop.Cancel();
        base.PostStop();
    }
}
