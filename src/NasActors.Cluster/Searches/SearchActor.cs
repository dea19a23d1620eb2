using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Mutation;
using NasActors.Cluster.Training;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;
using static NasActors.Cluster.Searches.SearchCommands;
using static NasActors.Cluster.Searches.SearchEvents;
using static NasActors.Cluster.Searches.SearchQueries;
using static NasActors.Cluster.Searches.SearchReplies;

namespace NasActors.Cluster.Searches;

/// <summary>
/// The actor of one search (persistence id <c>search-{id}</c>): persists the search's events, keeps
/// <see cref="SearchState"/> (and through it the controller), hands jobs to the evaluation queue, starts the
/// supernet trainer, answers commands and queries. All decisions are the state's; this actor persists and replies.
/// </summary>
public sealed class SearchActor : ReceivePersistentActor, IWithTimers
{
    private sealed record ResendPending
    {
        public static ResendPending Instance { get; } = new();
    }

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _queue;
    private readonly SearchActorSettings _settings;
    private SearchState _state;
    private IActorRef? _pendingRequester;
    private IActorRef? _trainer;
    private bool _trainerAsked;
    private TrainingProtocol.TrainingProgressed? _lastProgress;
    // The distribution of the last checkpoint the trainer reported (not journaled here: the trainer's journal holds it).
    private (ArchitectureExport Export, long Step)? _checkpointDistribution;

    /// <summary>The final distribution once journaled, else the last checkpoint's (the dashboard's per-layer probabilities).</summary>
    private (ArchitectureExport Export, long Step)? LatestDistribution =>
        _state.CheckpointFinal && _state.Distribution is { } d && _state.Checkpoint is { } c ? (d, c.Step) : _checkpointDistribution;
    private int? _offspringAsked;

    public static Props Props(string searchId, IActorRef queue, SearchActorSettings settings) =>
        Akka.Actor.Props.Create(() => new SearchActor(searchId, queue, settings));

    public static string PersistenceIdOf(string searchId) => "search-" + searchId;

    public SearchActor(string searchId, IActorRef queue, SearchActorSettings settings)
    {
        SearchId = searchId;
        _queue = queue;
        _settings = settings;
        _state = SearchState.Empty(searchId, settings.Mutators is not null);

        Recover<SnapshotOffer>(o => _state = SearchState.FromSnapshot((SearchSnapshot)o.Snapshot, settings.Mutators is not null));
        Recover<ISearchEvent>(e => _state.Apply(e));
        Recover<RecoveryCompleted>(_ => AfterRecovery());

        Command<SubmitSearch>(Submit);
        Command<PauseSearch>(_ => Transition("pause", _state.Status is SearchStatusNames.Running or SearchStatusNames.Training,
            new SearchPaused(SearchId), () => _queue.Tell(new WithdrawJobs(SearchId))));
        Command<ResumeSearch>(_ => Transition("resume", _state.Status == SearchStatusNames.Paused, new SearchResumed(SearchId), Go));
        Command<CancelSearch>(c => Transition("cancel", _state.Exists && !SearchStatusNames.IsFinal(_state.Status!),
            new SearchCancelled(SearchId, c.Reason), () => { _queue.Tell(new WithdrawJobs(SearchId)); StopTrainer(); }));
        Command<WakeSearch>(_ => Reply(() => _state.ToStatus(TrainingSteps)));
        Command<GetSearchStatus>(_ => Reply(() => _state.ToStatus(TrainingSteps)));
        Command<GetSearchLocation>(_ => Reply(() =>
            new SearchLocation(SearchId, ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString())));
        Command<SearchInspection.GetSupernetState>(_ => Reply(() => new SearchInspection.SupernetState(SearchId,
            ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString(), _state.Status!, _state.TrainingStep, TrainingSteps,
            _lastProgress?.Loss, _lastProgress?.Accuracy, _state.Checkpoint?.Sha256, _state.CheckpointFinal,
            LatestDistribution?.Export, LatestDistribution?.Step)));
        Command<GetTopK>(q => Reply(() => new TopK(SearchId, _state.Top(q.K))));
        Command<GetSearchResults>(_ => Reply(() => new SearchResults(SearchId, _state.Spec!.Name, _state.Spec.Space, _state.Status!,
            _state.Spec.TopK, _state.History(), _state.Distribution, _state.FailureReason)));

        Command<JobSucceeded>(r => PersistEvents(_state.OnResult(r), Kick));
        Command<JobFailed>(f => PersistEvents(_state.OnFailure(f), () =>
        {
            var again = _state.JobsToEnqueue().Where(j => j.JobId == f.JobId).ToArray();
            if (again.Length > 0) _queue.Tell(new EnqueueJobs(SearchId, again));
            Kick();
        }));

        Command<MutationProtocol.ChildrenProduced>(c =>
        {
            var e = _state.OnChildren(c, out var problem);
            if (problem is not null) _log.Error("Search {0}: children of generation {1} refused: {2}", SearchId, c.Generation, problem);
            if (e is not null) PersistEvents([e], Kick);
        });
        // A mutator that could not produce children (a bug: the spec was validated at submit); asked again on resend.
        Command<Status.Failure>(f => _log.Error(f.Cause, "Search {0}: the mutator pool failed", SearchId));

        Command<TrainingEvents.CheckpointSaved>(c =>
        {
            if (c.Distribution is { } d && (_checkpointDistribution is not { } seen || seen.Step <= c.Checkpoint.Step))
                _checkpointDistribution = (d, c.Checkpoint.Step);
            if (_state.Spec?.Training.EvaluateOn == Specs.EvaluateOn.Intermediate && _state.Checkpoint is null && !SearchStatusNames.IsFinal(_state.Status!))
                PersistEvents([new SupernetReady(SearchId, c.Checkpoint, false)], Go);
        });
        Command<TrainingEvents.TrainingCompleted>(c =>
        {
            switch (_state.OnTrainingCompleted(c))
            {
                case SupernetReady ready:
                    PersistEvents([ready], () =>
                    {
                        if (ready.Distribution is { } d) Publish(SearchProgressKinds.Derived, d.Describe(_state.Format));
                        Go();
                    });
                    break;
                case SearchFailed failed:
                    PersistEvents([failed], () => { Publish(SearchProgressKinds.Failed, failed.Reason); StopTrainer(); });
                    break;
            }
        });
        Command<TrainingProtocol.TrainingProgressed>(p =>
        {
            _state.TrainingStep = p.Step;
            _lastProgress = p;
            Context.System.EventStream.Publish(p); // the dashboard's supernet curves and trainer images/s
            Publish(SearchProgressKinds.Training, $"step {p.Step}/{p.Steps} loss {p.Loss:F3} acc {p.Accuracy:P1} {p.ImagesPerSecond:F0} img/s");
        });
        Command<TrainingProtocol.TrainingFailed>(f =>
        {
            if (_state.Exists && !SearchStatusNames.IsFinal(_state.Status!))
                PersistEvents([new SearchFailed(SearchId, f.Reason)], () => Publish(SearchProgressKinds.Failed, f.Reason));
        });
        Command<ResendPending>(_ =>
        {
            Enqueue();
            _offspringAsked = null; // an answer lost with a mutator's node: ask again (the answer is the same)
            AskOffspring();
            // A sharded trainer whose node died starts again (from its journal) on the next request.
            if (_settings.Trainers is not null && _state.Exists && _state.Spec!.NeedsSupernet && !_state.CheckpointFinal
                && !SearchStatusNames.IsFinal(_state.Status!) && _state.Status != SearchStatusNames.Paused)
                StartTrainer();
        });
        Command<SaveSnapshotSuccess>(s => DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(f => _log.Warning(f.Cause, "Search {0}: snapshot failed", SearchId));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public string SearchId { get; }
    public override string PersistenceId => PersistenceIdOf(SearchId);
    public override Recovery Recovery => _settings.RecoverFromSnapshots ? base.Recovery : new Recovery(SnapshotSelectionCriteria.None);
    public ITimerScheduler Timers { get; set; } = null!;

    private long TrainingSteps => _state.Spec?.NeedsSupernet == true ? _state.Spec.Training.Steps : 0;

    private void Submit(SubmitSearch s)
    {
        if (_state.Exists)
        {
            // A repeated submit of the same spec (a retried command) is accepted again; another spec is refused.
            Sender.Tell(SameSpec(_state.Spec!, s.Spec)
                ? new SearchAccepted(SearchId)
                : new SearchRejected(SearchId, $"search '{SearchId}' exists already ({_state.Status}) with another spec"));
            return;
        }
        // Checked here too, not only by the command line: a submit from another node or a script reaches only this.
        if (SearchIds.Problem(SearchId) is { } idProblem)
        {
            Sender.Tell(new SearchRejected(SearchId, new InvalidSearchIdException(SearchId, idProblem).Message));
            Passivate();
            return;
        }
        try
        {
            Specs.SearchSetup.Build(s.Spec);
            Specs.SearchSetup.CheckTrainingFiles(s.Spec);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Sender.Tell(new SearchRejected(SearchId, e.Message));
            Passivate(); // nothing was persisted: this id stays free
            return;
        }
        _pendingRequester = Sender;
        Persist(new SearchSubmitted(SearchId, s.Spec, DateTimeOffset.UtcNow), e =>
        {
            Applied(e);
            _pendingRequester?.Tell(new SearchAccepted(SearchId));
            _pendingRequester = null;
            Publish(SearchProgressKinds.Submitted, $"{s.Spec.Controller} on {s.Spec.Space}, budget {s.Spec.Budget}");
            Go();
        });
    }

    private static bool SameSpec(Specs.SearchSpec a, Specs.SearchSpec b) =>
        System.Text.Json.JsonSerializer.Serialize(a, Serialization.NasSerializer.Options) ==
        System.Text.Json.JsonSerializer.Serialize(b, Serialization.NasSerializer.Options);

    private void Transition(string command, bool allowed, ISearchEvent e, Action after)
    {
        if (!_state.Exists) { Sender.Tell(new NoSuchSearch(SearchId)); return; }
        if (!allowed)
        {
            Sender.Tell(new CommandDone(SearchId, command, false, $"search {SearchId} is {_state.Status}: nothing to {command}"));
            return;
        }
        _pendingRequester = Sender;
        Persist(e, ev =>
        {
            Applied(ev);
            _pendingRequester?.Tell(new CommandDone(SearchId, command, true, $"search {SearchId} is {_state.Status}"));
            _pendingRequester = null;
            Publish(_state.Status!, $"{command}d");
            after();
        });
    }

    private void Reply(Func<object> answer)
    {
        if (!_state.Exists)
        {
            Sender.Tell(new NoSuchSearch(SearchId));
            Passivate(); // do not keep an empty entity alive
            return;
        }
        Sender.Tell(answer());
    }

    private void PersistEvents(IReadOnlyList<ISearchEvent> events, Action after)
    {
        if (events.Count == 0) return;
        _pendingRequester = Sender;
        var left = events.Count;
        PersistAll(events, e =>
        {
            Applied(e);
            if (e is EvaluationRecorded r)
                Publish(SearchProgressKinds.Evaluated, $"job {r.JobId} {_state.Format(r.Architecture)} acc {r.Metrics.Accuracy:F2}");
            else if (e is EvaluationFailed f)
                Publish(SearchProgressKinds.EvaluationFailed, $"job {f.JobId} attempt {f.Attempt}{(f.Final ? " (final)" : "")}: {f.Reason}");
            else if (e is OffspringProduced o)
                Publish(SearchProgressKinds.Offspring, $"generation {o.Generation}: {o.Children.Count} children from the mutators");
            else if (e is GenerationCompleted g)
                Publish(SearchProgressKinds.Generation, $"generation {g.Generation} done, best {(g.BestArchitecture is null ? "-" : _state.Format(g.BestArchitecture))} {g.BestAccuracy:F2}");
            if (--left == 0) { _pendingRequester = null; after(); }
        });
    }

    /// <summary>Every persisted event goes through here: applied, then a snapshot every N events.</summary>
    private void Applied(ISearchEvent e)
    {
        _state.Apply(e);
        if (_settings.SnapshotEvery > 0 && LastSequenceNr % _settings.SnapshotEvery == 0 && _state.Exists)
            SaveSnapshot(_state.ToSnapshot());
    }

    private void AfterRecovery()
    {
        if (!_state.Exists) return;
        Timers.StartPeriodicTimer("resend", ResendPending.Instance, _settings.ResendPendingEvery);
        Go();
    }

    /// <summary>Starts whatever the status asks for: training, the pending jobs, the next proposal.</summary>
    private void Go()
    {
        if (!_state.Exists || SearchStatusNames.IsFinal(_state.Status!)) { StopTrainer(); return; }
        if (!Timers.IsTimerActive("resend")) Timers.StartPeriodicTimer("resend", ResendPending.Instance, _settings.ResendPendingEvery);
        if (_state.Spec!.NeedsSupernet && !_state.CheckpointFinal && _state.Status != SearchStatusNames.Paused) StartTrainer();
        Enqueue();
        Kick();
    }

    private void Enqueue()
    {
        var jobs = _state.JobsToEnqueue();
        if (jobs.Count > 0) _queue.Tell(new EnqueueJobs(SearchId, jobs));
    }

    /// <summary>Persists the state's next decision (a proposal or the completion) and goes on until it has none.</summary>
    private void Kick()
    {
        var next = _state.Decide();
        if (next is null) { AskOffspring(); return; }
        Persist(next, e =>
        {
            Applied(e);
            switch (e)
            {
                case CandidatesProposed p:
                    Publish(SearchProgressKinds.Proposed, $"generation {p.Generation}: {p.Jobs.Count} candidates");
                    Enqueue();
                    break;
                case SearchCompleted c:
                    Export();
                    Publish(SearchProgressKinds.Completed, $"{c.Evaluations} evaluations, best {c.Top.FirstOrDefault()?.Text} {c.Top.FirstOrDefault()?.Accuracy:F2}");
                    StopTrainer();
                    Timers.CancelAll();
                    break;
            }
            Kick();
        });
    }

    /// <summary>Asks the mutator pool for the children the controller waits for (once per generation until the resend timer).</summary>
    private void AskOffspring()
    {
        if (_settings.Mutators is not { } mutators || _state.OffspringWanted is not { } wanted || _offspringAsked == wanted.Batch) return;
        _offspringAsked = wanted.Batch;
        mutators.Tell(MutationProtocol.ProduceChildren.From(SearchId, _state.Spec!, wanted));
    }

    private void Export()
    {
        if (_settings.ExportFolder is null) return;
        try
        {
            var results = new SearchResults(SearchId, _state.Spec!.Name, _state.Spec.Space, _state.Status!, _state.Spec.TopK, _state.History());
            SearchExport.WriteJson(results, Core.Input.ConfinedPath.Combine(_settings.ExportFolder, SearchId, "results.json"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Core.Input.PathOutsideFolderException)
        {
            _log.Error(e, "Search {0}: cannot export results", SearchId);
        }
    }

    private void StartTrainer()
    {
        if (_settings.Trainers is { } trainers)
        {
            _trainerAsked = true;
            trainers.Tell(new TrainingProtocol.StartTraining(SearchId, _state.Spec!));
            return;
        }
        if (_settings.TrainerProps is null) return;
        _trainer ??= Context.ActorOf(_settings.TrainerProps(SearchId), "trainer");
        _trainer.Tell(new TrainingProtocol.StartTraining(SearchId, _state.Spec!));
    }

    private void StopTrainer()
    {
        if (_settings.Trainers is { } trainers && _trainerAsked)
        {
            _trainerAsked = false;
            trainers.Tell(new TrainingProtocol.StopTraining(SearchId));
        }
        if (_trainer is null) return;
        Context.Stop(_trainer);
        _trainer = null;
    }

    private void Publish(string kind, string message)
    {
        if (!_state.Exists) return;
        Context.System.EventStream.Publish(new SearchProgressed(SearchId, kind, _state.Status!, _state.Evaluated + _state.FailedCount,
            _state.Spec!.Budget, _state.TrainingStep, TrainingSteps, _state.Top(1).FirstOrDefault()?.Accuracy, message));
    }

    /// <summary>Stops through the parent shard, which buffers messages meanwhile.</summary>
    private void Passivate() => Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));

    // Akka.Persistence stops a search actor whose recovery failed (the database down, a breaker open); the node's
    // RecoveryRetry wakes it as soon as the journal answers, instead of the shard's entity-restart-backoff.
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        base.OnRecoveryFailure(reason, message);
        _settings.RecoveryRetry?.Tell(new RecoveryRetry.RecoveryFailed(SearchId, reason.Message));
    }

    // On a failed or rejected write the actor fails and is restarted by its supervisor: the new instance recovers
    // from the journal (the unpersisted event and anything drawn for it are gone) and the mailbox is kept.
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        ReportPersistenceProblem(cause, @event);
        _log.Error(cause, "Search {0}: journal write of {1} (#{2}) failed; restarting from the journal", SearchId, @event.GetType().Name, sequenceNr);
        throw new JournalWriteFailedException(SearchId, cause);
    }

    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        ReportPersistenceProblem(cause, @event);
        _log.Error(cause, "Search {0}: journal rejected {1} (#{2}); restarting from the journal", SearchId, @event.GetType().Name, sequenceNr);
        throw new JournalWriteFailedException(SearchId, cause);
    }

    private void ReportPersistenceProblem(Exception cause, object @event)
    {
        var failed = new PersistenceFailed(SearchId, $"journal write of {@event.GetType().Name} failed: {cause.Message}");
        _pendingRequester?.Tell(failed);
        _pendingRequester = null;
        Context.System.EventStream.Publish(failed);
    }
}

/// <summary>Thrown by a search actor whose event could not be written, so that its supervisor restarts it from the journal.</summary>
public sealed class JournalWriteFailedException(string searchId, Exception cause)
    : Exception($"Search {searchId}: a journal write failed: {cause.Message}", cause);
