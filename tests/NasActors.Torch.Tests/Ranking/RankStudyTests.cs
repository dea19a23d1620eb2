using System.Text.Json;
using NasActors.Core.Ranking;
using NasActors.Torch.Ranking;
using NasActors.Torch.Scoring;
using static TorchSharp.torch;

namespace NasActors.Torch.Tests.Ranking;

public sealed class RankStudyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nas-rank-study-").FullName;

    private static RankStudyOptions Tiny(int k = 4) => new()
    {
        Architectures = k, TrainImages = 256, ValidationImages = 128, Seed = 3,
        FairNasSteps = 2, BatchSize = 32, CheckpointEvery = 1,
        StandaloneEpochs = 1, StandaloneBatchSize = 32,
        Scoring = new ScoringOptions { RecalibrationBatches = 2, RecalibrationBatchSize = 32, EvaluationBatchSize = 128 },
        Resamples = 200, Level = 0.9,
    };

    [Fact]
    public void A_tiny_study_runs_end_to_end_resumes_after_interruptions_and_its_statistics_match_a_hand_count()
    {
        // Cut the study twice: after the first stand-alone training, and in the middle of the SPOS supernet.
        using (var cut = new CancellationTokenSource())
        {
            Assert.ThrowsAny<OperationCanceledException>(() => RankStudy.Run(Tiny(), _folder, CPU,
                p => { if (p.Phase == "stand-alone" && p.Done == p.Total) cut.Cancel(); }, cut.Token));
        }
        Assert.Single(StudyJournal.Read(Path.Combine(_folder, RankStudy.JournalFile)).Standalone);
        using (var cut = new CancellationTokenSource())
        {
            Assert.ThrowsAny<OperationCanceledException>(() => RankStudy.Run(Tiny(), _folder, CPU,
                p => { if (p.Phase == "train spos" && p.Done == 6) cut.Cancel(); }, cut.Token));
        }
        var cutState = StudyJournal.Read(Path.Combine(_folder, RankStudy.JournalFile));
        Assert.Equal(4, cutState.Standalone.Count);
        Assert.Equal(6, cutState.LastCheckpoint["spos"].Step);

        var steps = new List<long>();
        var outcome = RankStudy.Run(Tiny(), _folder, CPU, p => { if (p.Phase == "train spos") steps.Add(p.Done); });
        Assert.Equal((0, 2, 8), (outcome.StandaloneTrained, outcome.SupernetsTrained, outcome.Scored));
        Assert.Equal(7, steps.Min()); // SPOS resumed after its step-6 checkpoint; 12 steps = m (6) x FairNAS's 2
        var state = StudyJournal.Read(outcome.Journal);
        Assert.Equal(12, state.Supernets["spos"].Steps);
        Assert.Equal(2, state.Supernets["fairnas"].Steps);

        // The statistics, recomputed here by a plain count of pairs and the rank formula, from the journal's numbers.
        var truth = state.Architectures.Select(a => state.Standalone[a].TestAccuracy).ToArray();
        foreach (var m in outcome.Report.Methods)
        {
            var scores = state.Architectures.Select(a => state.Scores[(m.Method, a)].Accuracy).ToArray();
            Assert.Equal(HandTauB(scores, truth), m.KendallTau.Estimate, 12);
            Assert.Equal(HandRho(scores, truth), m.Spearman.Estimate, 12);
            Assert.True(m.KendallTau.Lower <= m.KendallTau.Upper || double.IsNaN(m.KendallTau.Lower));
        }

        // The report file holds every number; a second run redoes nothing and reports the same.
        using var json = JsonDocument.Parse(File.ReadAllText(outcome.ReportFile));
        Assert.Equal(4, json.RootElement.GetProperty("architectures").GetArrayLength());
        Assert.Equal(2, json.RootElement.GetProperty("methods").GetArrayLength());
        var again = RankStudy.Run(Tiny(), _folder, CPU);
        Assert.Equal((0, 0, 0), (again.StandaloneTrained, again.SupernetsTrained, again.Scored));
        Assert.Equal(outcome.Report.Methods, again.Report.Methods);

        // Other settings on the same folder: a clear error, and the journal is left as it was.
        var before = File.ReadAllBytes(outcome.Journal);
        var e = Assert.Throws<StudyJournalException>(() => RankStudy.Run(Tiny(5), _folder, CPU));
        Assert.Contains("k: recorded '4', now '5'", e.Message);
        Assert.Equal(before, File.ReadAllBytes(outcome.Journal));
    }

    [Fact]
    public void Spos_gets_m_times_the_steps_of_fairnas_and_bad_settings_are_named()
    {
        var o = Tiny();
        var space = NasActors.Core.Spaces.Blocks.BlockSpaces.FmnistMb();
        Assert.Equal(6 * o.SupernetOptions("fairnas", space).Steps, o.SupernetOptions("spos", space).Steps);
        Assert.Contains("--architectures", Assert.Throws<ArgumentException>(() => (o with { Architectures = 1 }).Validate()).Message);
        Assert.Contains("cpu, gpu", Assert.Throws<ArgumentException>(() => RankStudyOptions.Preset("tpu")).Message);
    }

    private static double HandTauB(double[] x, double[] y)
    {
        double c = 0, d = 0, tx = 0, ty = 0, n = 0;
        for (var i = 0; i < x.Length; i++)
        for (var j = 0; j < i; j++)
        {
            n++;
            if (x[i] == x[j]) tx++;
            if (y[i] == y[j]) ty++;
            if (x[i] == x[j] || y[i] == y[j]) continue;
            if ((x[i] > x[j]) == (y[i] > y[j])) c++; else d++;
        }
        return (c - d) / Math.Sqrt((n - tx) * (n - ty));
    }

    private static double HandRho(double[] x, double[] y)
    {
        static double[] Ranks(double[] v) => v.Select(a => v.Count(b => b < a) + (v.Count(b => b == a) + 1) / 2.0).ToArray();
        double[] rx = Ranks(x), ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average();
        var sxy = rx.Zip(ry, (a, b) => (a - mx) * (b - my)).Sum();
        return sxy / Math.Sqrt(rx.Sum(a => (a - mx) * (a - mx)) * ry.Sum(b => (b - my) * (b - my)));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
