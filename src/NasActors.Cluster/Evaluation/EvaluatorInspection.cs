using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Evaluation;

/// <summary>Queries for operators (pbm's nas palette): the evaluators a queue knows.</summary>
public static class EvaluatorInspection
{
    public sealed record GetEvaluators : INasMessage
    {
        public static GetEvaluators Instance { get; } = new();
    }

    public sealed record EvaluatorInfo(string Name, string Node, int JobsDone, bool Busy, string? CurrentJob) : INasMessage;

    public sealed record EvaluatorList(IReadOnlyList<EvaluatorInfo> Evaluators) : INasMessage;
}
