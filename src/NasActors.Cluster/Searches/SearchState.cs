using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Protocol;
using NasActors.Cluster.Specs;
using NasActors.Cluster.Training;
using NasActors.Core.Controllers;
using NasActors.Core.Controllers.Derived;
using NasActors.Core.Controllers.Evolution;
using NasActors.Core.Spaces;
using static NasActors.Cluster.Searches.SearchEvents;

namespace NasActors.Cluster.Searches;

public static class SearchStatusNames
{
    public const string Training = "training";
    public const string Running = "running";
    public const string Paused = "paused";
    public const string Cancelled = "cancelled";
    public const string Completed = "completed";
    public const string Failed = "failed";

    public static bool IsFinal(string status) => status is Cancelled or Completed or Failed;
}

/// <summary>One job of a search and what became of it.</summary>
public sealed record JobRecord(int JobId, string Architecture, int Generation, int Attempts, EvaluationMetrics? Metrics,
    string? FailureReason, int Order) : INasMessage
{
    public bool Resolved => Metrics is not null || FailureReason is not null;
}

/// <summary>The snapshot of a search: the facts from which <see cref="SearchState"/> rebuilds the controller.</summary>
public sealed record SearchSnapshot(string SearchId, SearchSpec Spec, string Status, CheckpointRef? Checkpoint, bool CheckpointFinal,
    IReadOnlyList<CandidatesProposed> Generations, IReadOnlyList<JobRecord> Jobs, int CompletedGenerations, int ResolvedCount,
    IReadOnlyList<OffspringProduced>? Offspring = null, ArchitectureExport? Distribution = null, string? FailureReason = null)
    : INasMessage;

/// <summary>
/// The state of one search: the facts of its events, and the controller rebuilt from them. <see cref="Apply"/> is
/// the only way the state changes (events, in journal order); the decisions (<see cref="Decide"/> and the command
/// handlers) return events without changing anything, except that the controller's next proposal is drawn once and
/// kept until its <c>CandidatesProposed</c> is applied (the controller is deterministic: replay draws the same).
/// </summary>
public sealed class SearchState
{
    private readonly Dictionary<int, JobRecord> _jobs = new();
    private readonly List<CandidatesProposed> _generations = [];
    private readonly List<OffspringProduced> _offspring = [];
    private readonly bool _delegateOffspring;
    private IReadOnlyList<Candidate>? _tentative;

    private SearchState(string searchId, bool delegateOffspring)
    {
        SearchId = searchId;
        _delegateOffspring = delegateOffspring;
    }

    public string SearchId { get; }
    public SearchSpec? Spec { get; private set; }
    public SearchSetup? Setup { get; private set; }
    public IController? Controller { get; private set; }
    public string? Status { get; private set; }
    public CheckpointRef? Checkpoint { get; private set; }
    /// <summary>Why the search failed; null unless its status is failed.</summary>
    public string? FailureReason { get; private set; }
    public bool CheckpointFinal { get; private set; }
    /// <summary>The distribution the final supernet's method learned (null before, and for methods without one).</summary>
    public ArchitectureExport? Distribution { get; private set; }
    public int CompletedGenerations { get; private set; }
    public int ResolvedCount { get; private set; }
    public long TrainingStep { get; set; }

    public bool Exists => Spec is not null;
    public IReadOnlyDictionary<int, JobRecord> Jobs => _jobs;
    public int Evaluated => _jobs.Values.Count(j => j.Metrics is not null);
    public int FailedCount => _jobs.Values.Count(j => j.Metrics is null && j.FailureReason is not null);
    public IEnumerable<JobRecord> PendingJobs => _jobs.Values.Where(j => !j.Resolved).OrderBy(j => j.JobId);
    public bool CanEvaluate => Spec is not null && (!Spec.NeedsSupernet || Checkpoint is not null);

    /// <summary>
    /// A search not submitted yet. With <paramref name="delegateOffspring"/>, an evolutionary controller waits for
    /// each generation's children (<see cref="OffspringWanted"/>, answered by the mutator pool) instead of producing
    /// them; the children are the same either way (<see cref="EvolutionOffspring.Produce"/>), so a journal replays
    /// into either kind of state.
    /// </summary>
    public static SearchState Empty(string searchId, bool delegateOffspring = false) => new(searchId, delegateOffspring);

    /// <summary>The children the controller waits for, while the search runs; null otherwise.</summary>
    public OffspringRequest? OffspringWanted => Status == SearchStatusNames.Running && CanEvaluate && Controller is IOffspringController o
        ? o.OffspringWanted
        : null;

    // ---- events -------------------------------------------------------------------------------------------------

    public void Apply(ISearchEvent e)
    {
        switch (e)
        {
            case SearchSubmitted s:
                Spec = s.Spec;
                Setup = SearchSetup.Build(s.Spec);
                Controller = Setup.NewController();
                if (_delegateOffspring && Controller is IOffspringController delegating) delegating.DelegateOffspring();
                Status = s.Spec.NeedsSupernet ? SearchStatusNames.Training : SearchStatusNames.Running;
                break;
            case SupernetReady r:
                Checkpoint = r.Checkpoint;
                CheckpointFinal = r.Final;
                if (r.Final && r.Distribution is { } d) ProvideDistribution(d);
                if (Status == SearchStatusNames.Training) Status = SearchStatusNames.Running;
                break;
            case OffspringProduced o:
                _offspring.Add(o);
                // A state that does not delegate produced the same children itself.
                if (Controller is IOffspringController { OffspringWanted: { } wanted } c && wanted.Batch == o.Generation)
                    c.ProvideOffspring(o.Generation, o.Children.Select(Architecture.ParseChoiceString).ToArray());
                break;
            case CandidatesProposed p:
                ApplyProposal(p);
                break;
            case EvaluationRecorded r:
            {
                var job = _jobs[r.JobId];
                if (job.Resolved) return; // never emitted twice; tolerated on replay of an old journal
                _jobs[r.JobId] = job with { Metrics = r.Metrics, Order = ResolvedCount++ };
                Controller!.Tell(new EvaluationResult(Architecture.ParseChoiceString(r.Architecture), r.Metrics.Accuracy));
                break;
            }
            case EvaluationFailed f:
            {
                var job = _jobs[f.JobId];
                if (job.Resolved) return;
                _jobs[f.JobId] = f.Final
                    ? job with { Attempts = f.Attempt, FailureReason = f.Reason, Order = ResolvedCount++ }
                    : job with { Attempts = f.Attempt };
                if (f.Final) Controller!.TellFailed(Architecture.ParseChoiceString(f.Architecture), f.Reason);
                break;
            }
            case GenerationCompleted g:
                CompletedGenerations = Math.Max(CompletedGenerations, g.Generation + 1);
                break;
            case SearchPaused:
                Status = SearchStatusNames.Paused;
                break;
            case SearchResumed:
                Status = CanEvaluate ? SearchStatusNames.Running : SearchStatusNames.Training;
                break;
            case SearchCancelled:
                Status = SearchStatusNames.Cancelled;
                break;
            case SearchFailed f:
                Status = SearchStatusNames.Failed;
                FailureReason = f.Reason;
                break;
            case SearchCompleted:
                Status = SearchStatusNames.Completed;
                break;
            default:
                throw new InvalidOperationException($"Search {SearchId}: unknown event {e.GetType().Name}.");
        }
    }

    private void ProvideDistribution(ArchitectureExport d)
    {
        Distribution = d;
        if (Controller is IDistributionController { WaitsForDistribution: true } c) c.Provide(d.ToDistribution(), d.DerivedArchitectures());
    }

    private void ApplyProposal(CandidatesProposed p)
    {
        // A journal written without the mutator pool has no OffspringProduced: the children are computed here.
        if (Controller is IOffspringController { OffspringWanted: { } wanted } c && wanted.Batch == p.Generation)
            c.ProvideOffspring(p.Generation, EvolutionOffspring.Produce(wanted, c.Context));
        var drawn = _tentative ?? Controller!.Propose(int.MaxValue);
        _tentative = null;
        if (drawn.Count != p.Jobs.Count || drawn.Zip(p.Jobs).Any(x => x.Item1.Sequence != x.Item2.JobId || x.Item1.Architecture.ToString() != x.Item2.Architecture))
            throw new InvalidOperationException(
                $"Search {SearchId}: replay diverged at generation {p.Generation}: the controller proposes " +
                $"[{string.Join(", ", drawn.Select(c => $"{c.Sequence}:{c.Architecture}"))}], the journal has " +
                $"[{string.Join(", ", p.Jobs.Select(j => $"{j.JobId}:{j.Architecture}"))}].");
        _generations.Add(p);
        foreach (var j in p.Jobs) _jobs[j.JobId] = new JobRecord(j.JobId, j.Architecture, p.Generation, 0, null, null, -1);
    }

    // ---- decisions ----------------------------------------------------------------------------------------------

    /// <summary>What the search does next on its own (propose, complete), or nothing.</summary>
    public ISearchEvent? Decide()
    {
        if (Status != SearchStatusNames.Running || !CanEvaluate) return null;
        if (PendingJobs.Any()) return null;
        if (Controller!.IsDone) return new SearchCompleted(SearchId, _jobs.Count(j => j.Value.Resolved), Top(Spec!.TopK));
        if (OffspringWanted is not null) return null; // the mutator pool answers, then the generation is proposed
        if (Controller is IDistributionController { WaitsForDistribution: true }) return null; // the final supernet's export comes first
        _tentative ??= Controller.Propose(int.MaxValue);
        if (_tentative.Count == 0)
        {
            // Nothing in flight and nothing new: the controller is stuck, which the core forbids; end cleanly.
            _tentative = null;
            return new SearchCompleted(SearchId, _jobs.Count(j => j.Value.Resolved), Top(Spec!.TopK));
        }
        return new CandidatesProposed(SearchId, _tentative[0].Batch,
            _tentative.Select(c => new ProposedJob(c.Sequence, c.Architecture.ToString())).ToArray());
    }

    /// <summary>
    /// The event the trainer's completion brings: the final supernet (with its method's distribution), or, when the
    /// search's controller proposes from a distribution and the trainer reported none that fits the space, the failure
    /// of the search; nothing once the final supernet is recorded or the search is over.
    /// </summary>
    public ISearchEvent? OnTrainingCompleted(TrainingEvents.TrainingCompleted c)
    {
        if (!Exists || CheckpointFinal || SearchStatusNames.IsFinal(Status!)) return null;
        if (Controller is IDistributionController derived)
        {
            string? problem;
            try
            {
                problem = c.Distribution is null
                    ? $"training method '{Spec!.Training.Method}' reported no architecture distribution and no derived architectures"
                    : derived.InputProblem(c.Distribution.ToDistribution(), c.Distribution.DerivedArchitectures());
            }
            catch (Exception e) when (e is ArgumentException or FormatException) { problem = e.Message; }
            if (problem is not null) return new SearchFailed(SearchId, $"controller '{Spec!.Controller}' cannot propose: {problem}");
        }
        return new SupernetReady(SearchId, c.Checkpoint, true, c.Distribution);
    }

    /// <summary>The events a result brings: none for a duplicate or an unknown job, else the record (and the end of a generation).</summary>
    public IReadOnlyList<ISearchEvent> OnResult(EvaluationProtocol.JobSucceeded r)
    {
        if (!_jobs.TryGetValue(r.JobId, out var job) || job.Resolved || job.Architecture != r.Architecture
            || Status is SearchStatusNames.Cancelled or SearchStatusNames.Failed or SearchStatusNames.Completed) return [];
        var recorded = new EvaluationRecorded(SearchId, r.JobId, r.Architecture, r.Metrics, r.Checkpoint, r.Evaluator);
        return WithGenerationEnd(recorded, job.Generation);
    }

    /// <summary>
    /// The event the mutator pool's answer brings: the offspring of the generation the controller waits for, or
    /// nothing (a late or repeated answer; <paramref name="problem"/> says why children were refused).
    /// </summary>
    public OffspringProduced? OnChildren(Mutation.MutationProtocol.ChildrenProduced c, out string? problem)
    {
        problem = null;
        if (OffspringWanted is not { } wanted || wanted.Batch != c.Generation) return null;
        Architecture[] children;
        try { children = c.Children.Select(Architecture.ParseChoiceString).ToArray(); }
        catch (FormatException e) { problem = e.Message; return null; }
        problem = ((IOffspringController)Controller!).OffspringProblem(c.Generation, children);
        return problem is null ? new OffspringProduced(SearchId, c.Generation, c.Children.ToArray()) : null;
    }

    public IReadOnlyList<ISearchEvent> OnFailure(EvaluationProtocol.JobFailed f)
    {
        if (!_jobs.TryGetValue(f.JobId, out var job) || job.Resolved || job.Architecture != f.Architecture
            || Status is SearchStatusNames.Cancelled or SearchStatusNames.Failed or SearchStatusNames.Completed) return [];
        if (f.Attempt <= job.Attempts) return []; // a late report of an attempt already counted
        var final = f.Attempt >= Spec!.MaxAttempts;
        var failed = new EvaluationFailed(SearchId, f.JobId, f.Architecture, f.Attempt, f.Reason, final);
        return final ? WithGenerationEnd(failed, job.Generation) : [failed];
    }

    private IReadOnlyList<ISearchEvent> WithGenerationEnd(ISearchEvent resolving, int generation)
    {
        var unresolved = _jobs.Values.Count(j => j.Generation == generation && !j.Resolved);
        if (unresolved > 1) return [resolving];
        var evaluations = _jobs.Values.Count(j => j.Resolved) + 1;
        // The best after this result: computed on what the controller will know (its Best is updated on Apply).
        var best = BestAfter(resolving);
        return [resolving, new GenerationCompleted(SearchId, generation, evaluations, best?.Architecture, best?.Accuracy)];
    }

    private (string Architecture, double Accuracy)? BestAfter(ISearchEvent resolving)
    {
        var all = _jobs.Values.Where(j => j.Metrics is not null).Select(j => (j.JobId, j.Architecture, j.Metrics!.Accuracy)).ToList();
        if (resolving is EvaluationRecorded r) all.Add((r.JobId, r.Architecture, r.Metrics.Accuracy));
        if (all.Count == 0) return null;
        var b = all.OrderByDescending(x => x.Accuracy).ThenBy(x => x.JobId).First();
        return (b.Architecture, b.Accuracy);
    }

    /// <summary>The jobs to hand to evaluators now: every pending job, at its next attempt.</summary>
    public IReadOnlyList<EvaluationJob> JobsToEnqueue() =>
        Status == SearchStatusNames.Running && CanEvaluate
            ? PendingJobs.Select(j => new EvaluationJob(SearchId, j.JobId, j.Attempts + 1, j.Architecture, Spec!.Space, Spec.Seed,
                Spec.Evaluation, Checkpoint, Spec.Dataset)).ToArray()
            : [];

    // ---- views --------------------------------------------------------------------------------------------------

    public string Format(string choiceString)
    {
        var a = Architecture.ParseChoiceString(choiceString);
        return Setup is not null && Setup.Space.Contains(a) ? Setup.Space.Format(a) : choiceString;
    }

    public RankedArchitecture Rank(JobRecord j) => new(j.JobId, j.Order, j.Architecture, Format(j.Architecture),
        j.Metrics?.Accuracy ?? double.NaN, j.Metrics?.Loss ?? double.NaN, j.Metrics?.Flops ?? double.NaN, j.Metrics?.Params ?? double.NaN,
        j.Metrics is null, j.FailureReason);

    /// <summary>The best successful evaluations: accuracy descending, ties to the earlier proposal.</summary>
    public IReadOnlyList<RankedArchitecture> Top(int k) => _jobs.Values.Where(j => j.Metrics is not null)
        .OrderByDescending(j => j.Metrics!.Accuracy).ThenBy(j => j.JobId).Take(k).Select(Rank).ToArray();

    public IReadOnlyList<RankedArchitecture> History() =>
        _jobs.Values.Where(j => j.Resolved).OrderBy(j => j.Order).Select(Rank).ToArray();

    public SearchReplies.SearchStatus ToStatus(long trainingSteps)
    {
        var best = Top(1).FirstOrDefault();
        return new SearchReplies.SearchStatus(SearchId, Spec!.Name, Status!, Spec.Controller, Spec.Space, Spec.Budget,
            Evaluated, FailedCount, PendingJobs.Count(), CompletedGenerations, best?.Text, best?.Accuracy,
            Math.Max(TrainingStep, Checkpoint?.Step ?? 0), trainingSteps, Checkpoint?.Sha256);
    }

    // ---- snapshots ----------------------------------------------------------------------------------------------

    public SearchSnapshot ToSnapshot() => new(SearchId, Spec!, Status!, Checkpoint, CheckpointFinal, _generations.ToArray(),
        _jobs.Values.OrderBy(j => j.JobId).ToArray(), CompletedGenerations, ResolvedCount, _offspring.ToArray(), Distribution, FailureReason);

    /// <summary>Rebuilds the state, controller included, from a snapshot: each generation proposed, then its results told.</summary>
    public static SearchState FromSnapshot(SearchSnapshot s, bool delegateOffspring = false)
    {
        var state = new SearchState(s.SearchId, delegateOffspring);
        state.Apply(new SearchSubmitted(s.SearchId, s.Spec, DateTimeOffset.MinValue));
        // A derived controller proposed from the distribution: it needs it before its generations replay.
        if (s.Distribution is { } d) state.ProvideDistribution(d);
        var byGeneration = s.Jobs.ToLookup(j => j.Generation);
        var offspring = (s.Offspring ?? []).ToDictionary(o => o.Generation);
        foreach (var g in s.Generations)
        {
            if (offspring.Remove(g.Generation, out var children)) state.Apply(children);
            state.ApplyProposal(g);
            foreach (var j in byGeneration[g.Generation].Where(j => j.Resolved).OrderBy(j => j.Order))
            {
                if (j.Metrics is not null) state.Controller!.Tell(new EvaluationResult(Architecture.ParseChoiceString(j.Architecture), j.Metrics.Accuracy));
                else state.Controller!.TellFailed(Architecture.ParseChoiceString(j.Architecture), j.FailureReason!);
            }
        }
        foreach (var j in s.Jobs) state._jobs[j.JobId] = j;
        state.Status = s.Status;
        // Children of a generation not proposed yet (the snapshot came between the two events).
        foreach (var o in offspring.Values.OrderBy(o => o.Generation)) state.Apply(o);
        state.Checkpoint = s.Checkpoint;
        state.CheckpointFinal = s.CheckpointFinal;
        state.FailureReason = s.FailureReason;
        state.CompletedGenerations = s.CompletedGenerations;
        state.ResolvedCount = s.ResolvedCount;
        return state;
    }
}
