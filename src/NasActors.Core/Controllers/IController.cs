using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers;

/// <summary>
/// A search controller, ask/tell: <see cref="Propose"/> hands out candidates, results come back through
/// <see cref="Tell"/> or <see cref="TellFailed"/> in any order (some may never come), and the controller proposes
/// more once it has what it needs.
/// <para>
/// Its state is a pure function of (context, settings, results told so far): every random draw comes from
/// <see cref="Determinism.DeterministicRandom.For"/> with the search seed and a counter, and the results of a batch
/// are used only once the whole batch is resolved, in proposal order. Replaying the same results, in any order,
/// rebuilds the same state and the same next proposals.
/// </para>
/// It never proposes an architecture that violates the constraints, never proposes one twice, and never proposes
/// more than the budget (distinct evaluations; a failed evaluation counts as used).
/// </summary>
public interface IController
{
    /// <summary>The controller's name as given to <see cref="ControllerFactory"/>.</summary>
    string Name { get; }

    /// <summary>
    /// Up to <paramref name="max"/> new candidates. Empty when the controller waits for results of candidates it
    /// already handed out, or when it is done.
    /// </summary>
    IReadOnlyList<Candidate> Propose(int max);

    /// <summary>Records the result of a proposed candidate. A repeated result for the same architecture is ignored
    /// (evaluation is at-least-once); a result for an architecture that was not handed out is an error.</summary>
    void Tell(EvaluationResult result);

    /// <summary>Records that the evaluation of a proposed candidate failed; the architecture is not proposed again.</summary>
    void TellFailed(Architecture architecture, string reason);

    /// <summary>True once the budget is used, the controller's own schedule ended, or no new feasible architecture remains.</summary>
    bool IsDone { get; }

    /// <summary>Evaluations (successful and failed) recorded so far.</summary>
    int EvaluationsUsed { get; }

    /// <summary>Candidates handed out whose result has not come back.</summary>
    int Pending { get; }

    /// <summary>The best architecture by signal among the successful evaluations (ties: the earlier proposal); null before any.</summary>
    Evaluation? Best { get; }

    /// <summary>The Pareto front for multi-objective controllers; for single-objective ones, the best alone.</summary>
    IReadOnlyList<Evaluation> ParetoFront { get; }

    /// <summary>Every resolved evaluation in proposal order.</summary>
    IReadOnlyList<Evaluation> History { get; }
}
