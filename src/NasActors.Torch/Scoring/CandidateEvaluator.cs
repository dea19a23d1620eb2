using System.Diagnostics;
using NasActors.Core.Costs;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Checkpoints;
using NasActors.Torch.Data;
using NasActors.Torch.Supernet;
using static TorchSharp.torch;

namespace NasActors.Torch.Scoring;

/// <summary>One candidate scored with inherited weights.</summary>
public sealed record CandidateScore(Architecture Architecture, string Text, double Accuracy, double Loss,
    double Flops, double Params, TimeSpan Duration);

/// <summary>
/// Scores candidates with the weights of one supernet checkpoint: loads and verifies it once, rebuilds the data split
/// it was trained with, and recalibrates + validates each candidate. Holds native memory: dispose it.
/// </summary>
public sealed class CandidateEvaluator : IDisposable
{
    private readonly BlockNetwork _supernet;
    private readonly SubnetScorer _scorer;
    private readonly AdditiveCostModel _costs;

    public CandidateEvaluator(string checkpointPath, ScoringOptions options, Device device, string? expectedSha256 = null,
        string? dataFolderOverride = null, SearchData? data = null)
    {
        using var checkpoint = Checkpoint.Load(checkpointPath, expectedSha256);
        Sha256 = checkpoint.Sha256;
        _supernet = SupernetCheckpoint.LoadNetwork(checkpoint, device);
        Space = _supernet.Space;
        _costs = Space.CostModel();
        var searchData = data ?? SearchData.FromMetadata(checkpoint.Metadata, dataFolderOverride);
        searchData.EnsureFits(Space);
        _scorer = new SubnetScorer(_supernet, searchData.Bundle, searchData.Split.Train, searchData.Split.Validation,
            options, device, searchData.SplitSeed);
    }

    public string Sha256 { get; }
    public BlockSpace Space { get; }

    public CandidateScore Evaluate(Architecture architecture)
    {
        var clock = Stopwatch.StartNew();
        var score = _scorer.Score(architecture);
        return new CandidateScore(architecture, Space.Format(architecture), score.Accuracy, score.Loss,
            _costs.Cost(CostMetrics.Flops, architecture), _costs.Cost(CostMetrics.Params, architecture), clock.Elapsed);
    }

    public void Dispose() => _supernet.Dispose();
}
