using NasActors.Core.Spaces;

namespace NasActors.Core.Controllers;

/// <summary>
/// One proposal of a controller. <see cref="Sequence"/> numbers proposals of a search from 0 in the order the
/// controller decided them (not the order results come back): it breaks ties between equal signals, so the best
/// architecture does not depend on the order evaluations finish.
/// </summary>
public sealed record Candidate(Architecture Architecture, int Sequence, int Batch);

/// <summary>What an evaluator measured for a proposed architecture: the signal that guides the search (higher is better).</summary>
public sealed record EvaluationResult(Architecture Architecture, double Signal);

/// <summary>A resolved proposal: evaluated (with its signal) or failed (with the reason).</summary>
public sealed record Evaluation(Candidate Candidate, double Signal, bool Failed, string? FailureReason = null)
{
    public Architecture Architecture => Candidate.Architecture;
    public bool Succeeded => !Failed;

    /// <summary>Higher signal first; equal signals: the earlier proposal first.</summary>
    public static int CompareBestFirst(Evaluation a, Evaluation b)
    {
        var c = b.Signal.CompareTo(a.Signal);
        return c != 0 ? c : a.Candidate.Sequence.CompareTo(b.Candidate.Sequence);
    }
}
