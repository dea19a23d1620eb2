using System.Security.Cryptography;
using System.Text;
using NasActors.Cluster.Evaluation;
using NasActors.Core.Determinism;
using NasActors.Core.Spaces;
using NasActors.Core.Spaces.Blocks;
using NasActors.Torch.Methods;

namespace NasActors.Cluster.Training;

/// <summary>
/// A trainer without tensors, for tests of the actors: each "step" waits <paramref name="stepCost"/>, and every
/// checkpoint is a small content-addressed file (its bytes depend on the search and the step only). A method with
/// architecture parameters exports a synthetic distribution that sharpens with the step: per decision
/// softmax(4 * step / steps * u), u drawn in [-1, 1] from the search seed; a pure function of (seed, step).
/// </summary>
public sealed class StubTrainingBackend(TimeSpan stepCost) : ISupernetTrainingBackend
{
    public TrainedCheckpoint Train(TrainingRequest request, Action<TrainedCheckpoint> checkpointed,
        Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel)
    {
        var t = request.Spec.Training;
        var step = request.ResumeFrom?.Step ?? 0;
        TrainedCheckpoint? last = request.ResumeFrom is { } resumed ? Trained(request, resumed) : null;
        while (step < t.Steps)
        {
            cancel.ThrowIfCancellationRequested();
            if (stepCost > TimeSpan.Zero) Thread.Sleep(stepCost);
            step++;
            var loss = Loss(step);
            progress(new TrainingProtocol.TrainingProgressed(request.SearchId, step, t.Steps, loss, 1 - loss / 2.3, 0));
            if ((t.CheckpointEvery > 0 && step % t.CheckpointEvery == 0) || step == t.Steps)
            {
                last = Trained(request, Write(request, step));
                checkpointed(last);
            }
        }
        return last ?? Trained(request, Write(request, step));
    }

    private static double Loss(long step) => 2.3 / Math.Sqrt(Math.Max(step, 1));

    private static TrainedCheckpoint Trained(TrainingRequest request, CheckpointRef checkpoint) =>
        new(checkpoint, Loss(checkpoint.Step), 1 - Loss(checkpoint.Step) / 2.3, Distribution(request, checkpoint.Step));

    /// <summary>The synthetic distribution at a step; null for methods without architecture parameters.</summary>
    public static ArchitectureExport? Distribution(TrainingRequest request, long step)
    {
        var spec = request.Spec;
        if (!TrainingMethods.Get(spec.Training.Method).HasArchitectureParameters) return null;
        var sharpness = 4.0 * step / spec.Training.Steps;
        var probabilities = BlockSpaces.Get(spec.Space).ChoiceCounts.Select((m, i) =>
        {
            var rng = DeterministicRandom.For(spec.Seed, "stub-architecture", i);
            var e = Enumerable.Range(0, m).Select(_ => Math.Exp(sharpness * (2 * rng.NextDouble() - 1))).ToArray();
            var sum = e.Sum();
            return e.Select(x => x / sum).ToArray();
        }).ToArray();
        return ArchitectureExport.From(new ArchitectureDistribution(probabilities));
    }

    private static CheckpointRef Write(TrainingRequest request, long step)
    {
        Directory.CreateDirectory(request.CheckpointFolder);
        var bytes = Encoding.UTF8.GetBytes($"stub checkpoint of {request.SearchId} at step {step}");
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var path = Path.Combine(request.CheckpointFolder, sha + ".stub");
        File.WriteAllBytes(path, bytes);
        return new CheckpointRef(sha, path, step);
    }
}
