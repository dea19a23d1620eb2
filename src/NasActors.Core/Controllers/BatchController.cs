using NasActors.Core.Determinism;
using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers;

/// <summary>
/// The ask/tell machinery shared by every controller. A controller decides one batch of architectures at a time
/// (<see cref="NextBatch"/>); results are collected in any order, and only when the whole batch is resolved does
/// the controller learn from it (<see cref="OnBatchCompleted"/>, in proposal order) and decide the next batch.
/// That is what makes the state a function of the SET of results, whatever order they arrive in.
/// </summary>
public abstract class BatchController : IController
{
    private readonly Dictionary<Architecture, Candidate> _proposed = new();
    private readonly Dictionary<Architecture, Evaluation> _resolved = new();
    private readonly List<Evaluation> _history = [];
    private List<Candidate> _batch = [];
    private int _issued;
    private int _batchIndex = -1;
    private int _batchResolved;
    private bool _started;
    private bool _waiting;
    private bool _done;
    private Evaluation? _best;

    protected BatchController(string name, SearchContext context)
    {
        Name = name;
        Context = context;
        context.Constraints.EnsureSatisfiable();
    }

    public string Name { get; }
    public SearchContext Context { get; }
    protected ISearchSpace Space => Context.Space;
    protected Constraints Constraints => Context.Constraints;

    public bool IsDone { get { EnsureStarted(); return _done; } }
    public int EvaluationsUsed => _history.Count;
    public int Pending => _issued - _batchResolved;
    public Evaluation? Best => _best;
    public virtual IReadOnlyList<Evaluation> ParetoFront => _best is null ? [] : [_best];
    public IReadOnlyList<Evaluation> History => _history;

    /// <summary>Budget not yet committed to a proposal.</summary>
    protected int RemainingBudget => Context.Budget - _proposed.Count;

    /// <summary>Every successful evaluation so far, in the order they were recorded.</summary>
    protected IEnumerable<Evaluation> Successful => _history.Where(e => e.Succeeded);

    /// <summary>True when the architecture was proposed already (so must not be proposed again).</summary>
    protected bool WasProposed(Architecture a) => _proposed.ContainsKey(a);

    /// <summary>The recorded evaluation of an architecture, when it was resolved.</summary>
    protected Evaluation? Lookup(Architecture a) => _resolved.GetValueOrDefault(a);

    /// <summary>A generator for one purpose at one batch: the only source of randomness a controller may use.</summary>
    protected DeterministicRandom Random(string purpose, int batch, params long[] more) =>
        DeterministicRandom.For(Context.Seed, Name + "/" + purpose, [batch, .. more]);

    /// <summary>
    /// The architectures of batch <paramref name="batch"/>: feasible, never proposed before, distinct, at most
    /// <paramref name="maxCount"/> (the budget left). An empty batch ends the search.
    /// </summary>
    protected abstract IReadOnlyList<Architecture> NextBatch(int batch, int maxCount);

    /// <summary>Learns from a resolved batch; <paramref name="results"/> is in proposal order.</summary>
    protected abstract void OnBatchCompleted(int batch, IReadOnlyList<Evaluation> results);

    /// <summary>True when the controller's own schedule (e.g. a number of generations) is over.</summary>
    protected virtual bool ScheduleFinished(int nextBatch) => false;

    /// <summary>
    /// True when batch <paramref name="batch"/> needs input from outside before <see cref="NextBatch"/> can decide it
    /// (e.g. children produced elsewhere); the controller proposes nothing until <see cref="InputArrived"/>.
    /// </summary>
    protected virtual bool WaitsForInput(int batch) => false;

    /// <summary>The batch being decided (the one that waits for input, when <see cref="IsWaiting"/>).</summary>
    protected int CurrentBatch { get { EnsureStarted(); return _batchIndex; } }

    /// <summary>True while the current batch waits for outside input.</summary>
    protected bool IsWaiting { get { EnsureStarted(); return _waiting; } }

    /// <summary>The outside input of the waiting batch has arrived: the batch is decided now.</summary>
    protected void InputArrived()
    {
        if (!_waiting) throw new InvalidOperationException($"Controller '{Name}' does not wait for input.");
        _waiting = false;
        BuildBatch();
    }

    /// <summary>Every architecture proposed so far, in proposal order.</summary>
    protected IReadOnlyList<Architecture> ProposedSoFar => _proposed.Values.OrderBy(c => c.Sequence).Select(c => c.Architecture).ToArray();

    /// <summary>
    /// Whether a new architecture may join the batch being built: feasible, not proposed before, not in the batch.
    /// Controllers reject and redraw candidates that fail this.
    /// </summary>
    protected bool IsNew(Architecture a, ICollection<Architecture> batchSoFar) =>
        !_proposed.ContainsKey(a) && !batchSoFar.Contains(a) && Constraints.IsSatisfied(a);

    /// <summary>A uniformly random feasible architecture that is new; null when none is left.</summary>
    protected Architecture? DrawNew(DeterministicRandom rng, ICollection<Architecture> batchSoFar) =>
        Constraints.DrawUniform(rng, a => _proposed.ContainsKey(a) || batchSoFar.Contains(a));

    /// <summary>Adds uniformly random new feasible architectures until the batch has <paramref name="size"/> or none is left.</summary>
    protected void FillWithNew(DeterministicRandom rng, List<Architecture> batch, int size)
    {
        while (batch.Count < size)
        {
            var a = DrawNew(rng, batch);
            if (a is null) break;
            batch.Add(a);
        }
    }

    public IReadOnlyList<Candidate> Propose(int max)
    {
        if (max < 0) throw new ArgumentOutOfRangeException(nameof(max));
        EnsureStarted();
        var n = Math.Min(max, _batch.Count - _issued);
        if (_done || n <= 0) return [];
        var handed = _batch.GetRange(_issued, n);
        _issued += n;
        return handed;
    }

    public void Tell(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!double.IsFinite(result.Signal))
            throw new ArgumentException($"The signal of '{Describe(result.Architecture)}' is not a finite number: {result.Signal}.", nameof(result));
        Resolve(result.Architecture, c => new Evaluation(c, result.Signal, false));
    }

    public void TellFailed(Architecture architecture, string reason) =>
        Resolve(architecture, c => new Evaluation(c, double.NaN, true, reason));

    private void Resolve(Architecture architecture, Func<Candidate, Evaluation> make)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        EnsureStarted();
        if (_resolved.ContainsKey(architecture)) return; // at-least-once delivery: the first result stands
        if (!_proposed.TryGetValue(architecture, out var candidate) || candidate.Batch != _batchIndex
            || _batch.IndexOf(candidate) >= _issued)
            throw new InvalidOperationException(
                $"Controller '{Name}' got a result for '{Describe(architecture)}', which it has not handed out.");
        var evaluation = _resolved[architecture] = make(candidate);
        // Best by (signal, proposal sequence) over everything resolved: the same whatever order results arrive in.
        if (evaluation.Succeeded && (_best is null || Evaluation.CompareBestFirst(evaluation, _best) < 0)) _best = evaluation;
        _batchResolved++;
        if (_batchResolved == _batch.Count) CompleteBatch();
    }

    private string Describe(Architecture a) => Space.Contains(a) ? Space.Format(a) : a.ToString();

    private void EnsureStarted()
    {
        if (_started) return;
        _started = true;
        StartBatch();
    }

    private void CompleteBatch()
    {
        var results = _batch.Select(c => _resolved[c.Architecture]).ToArray();
        _history.AddRange(results);
        OnBatchCompleted(_batchIndex, results);
        StartBatch();
    }

    private void StartBatch()
    {
        _batchIndex++;
        _batch = [];
        _issued = 0;
        _batchResolved = 0;
        if (RemainingBudget <= 0 || ScheduleFinished(_batchIndex)) { _done = true; return; }
        if (WaitsForInput(_batchIndex)) { _waiting = true; return; }
        BuildBatch();
    }

    private void BuildBatch()
    {
        var archs = NextBatch(_batchIndex, RemainingBudget);
        if (archs.Count > RemainingBudget)
            throw new InvalidOperationException($"Controller '{Name}' proposed {archs.Count} architectures with {RemainingBudget} evaluations left.");
        var seenInBatch = new HashSet<Architecture>();
        foreach (var a in archs)
        {
            // Invariants every controller must keep; a breach is a bug, not a user error.
            var violation = Constraints.Violation(a);
            if (violation is not null) throw new InvalidOperationException($"Controller '{Name}' proposed an infeasible architecture: {violation}.");
            if (_proposed.ContainsKey(a) || !seenInBatch.Add(a))
                throw new InvalidOperationException($"Controller '{Name}' proposed '{Space.Format(a)}' twice.");
            var c = new Candidate(a, _proposed.Count, _batchIndex);
            _proposed[a] = c;
            _batch.Add(c);
        }
        if (_batch.Count == 0) _done = true;
    }
}
