using System.Security.Cryptography;
using System.Text;
using NasActors.Cluster.Evaluation;

namespace NasActors.Cluster.Training;

/// <summary>
/// A trainer without tensors, for tests of the actors: each "step" waits <paramref name="stepCost"/>, and every
/// checkpoint is a small content-addressed file (its bytes depend on the search and the step only).
/// </summary>
public sealed class StubTrainingBackend(TimeSpan stepCost) : ISupernetTrainingBackend
{
    public CheckpointRef Train(TrainingRequest request, Action<CheckpointRef, double, double> checkpointed,
        Action<TrainingProtocol.TrainingProgressed> progress, CancellationToken cancel)
    {
        var t = request.Spec.Training;
        var step = request.ResumeFrom?.Step ?? 0;
        CheckpointRef? last = request.ResumeFrom;
        while (step < t.Steps)
        {
            cancel.ThrowIfCancellationRequested();
            if (stepCost > TimeSpan.Zero) Thread.Sleep(stepCost);
            step++;
            var loss = 2.3 / Math.Sqrt(step);
            progress(new TrainingProtocol.TrainingProgressed(request.SearchId, step, t.Steps, loss, 1 - loss / 2.3, 0));
            if ((t.CheckpointEvery > 0 && step % t.CheckpointEvery == 0) || step == t.Steps)
            {
                last = Write(request, step);
                checkpointed(last, loss, 1 - loss / 2.3);
            }
        }
        return last ?? Write(request, step);
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
