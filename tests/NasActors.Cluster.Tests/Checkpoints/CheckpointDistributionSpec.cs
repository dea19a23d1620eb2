using System.Collections.Concurrent;
using System.Security.Cryptography;
using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using NasActors.Cluster.Checkpoints;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Tests.Transport;
using static NasActors.Cluster.Checkpoints.CheckpointTransferProtocol;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;

namespace NasActors.Cluster.Tests.Checkpoints;

/// <summary>
/// Two nodes joined over loopback remoting: the trainer node holds the checkpoints, the evaluator node has an empty
/// checkpoint folder. The trainer's server can damage the bytes of chosen checkpoints on chosen attempts.
/// </summary>
public sealed class TwoNodeCheckpointCluster : IAsyncLifetime
{
    public ActorSystem Trainer { get; private set; } = null!;
    public ActorSystem Evaluator { get; private set; } = null!;
    public CheckpointCache TrainerCache { get; } = new(Directory.CreateTempSubdirectory("nas-ckpt-trainer-").FullName);
    public CheckpointCache EvaluatorCache { get; } = new(Directory.CreateTempSubdirectory("nas-ckpt-evaluator-").FullName);
    public CheckpointFetcher Fetcher { get; private set; } = null!;

    /// <summary>Damage applied by the trainer's server, by checkpoint SHA-256.</summary>
    public ConcurrentDictionary<string, CheckpointServer.Transit> Damage { get; } = new(StringComparer.OrdinalIgnoreCase);

    public async Task InitializeAsync()
    {
        Trainer = LoopbackNodes.Start("nas", LoopbackNodes.ClusterConfig("akka.cluster.roles = [trainer]"));
        Evaluator = LoopbackNodes.Start("nas", LoopbackNodes.ClusterConfig("akka.cluster.roles = [evaluator]"));
        Trainer.ActorOf(CheckpointServer.Props(TrainerCache,
            transit: (request, bytes) => Damage.TryGetValue(request.Sha256, out var damage) ? damage(request, bytes) : bytes), CheckpointServer.Name);
        Evaluator.ActorOf(CheckpointServer.Props(EvaluatorCache), CheckpointServer.Name);
        Fetcher = new CheckpointFetcher(Evaluator, EvaluatorCache, CheckpointFetcher.ClusterPeers(Evaluator),
            new CheckpointFetchOptions { RetryDelay = TimeSpan.FromMilliseconds(20), AskTimeout = TimeSpan.FromSeconds(5), IdleTimeout = TimeSpan.FromSeconds(10) });
        await LoopbackNodes.JoinAsync(Trainer, Evaluator, TimeSpan.FromSeconds(30));
    }

    /// <summary>A checkpoint of random bytes (several chunks) in the trainer's folder.</summary>
    public (string Sha, byte[] Bytes) NewCheckpoint(int length = 200_000)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Directory.CreateDirectory(TrainerCache.Folder);
        File.WriteAllBytes(Path.Combine(TrainerCache.Folder, sha + ".nasckpt"), bytes);
        return (sha, bytes);
    }

    public async Task DisposeAsync()
    {
        await LoopbackNodes.StopAsync(Evaluator, Trainer);
        foreach (var folder in new[] { TrainerCache.Folder, EvaluatorCache.Folder })
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}

public sealed class CheckpointDistributionSpec(TwoNodeCheckpointCluster nodes) : IClassFixture<TwoNodeCheckpointCluster>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private static CheckpointRef RefOnTrainer(string sha) =>
        new(sha, $"/nonexistent/trainer-only/checkpoints/{sha}.nasckpt", 60);

    /// <summary>Reads the job's checkpoint as an evaluator would and reports its size as the "accuracy".</summary>
    private sealed class ReadingBackend : IEvaluationBackend
    {
        public ConcurrentQueue<string> Paths { get; } = new();

        public async Task<EvaluationMetrics> EvaluateAsync(EvaluationJob job, CancellationToken cancel)
        {
            var bytes = await File.ReadAllBytesAsync(job.Checkpoint!.Path, cancel);
            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != job.Checkpoint.Sha256) throw new EvaluationException("wrong bytes");
            Paths.Enqueue(job.Checkpoint.Path);
            return new EvaluationMetrics(bytes.Length, 0, 0, 0, 0);
        }
    }

    private static EvaluationJob Job(int id, CheckpointRef checkpoint) =>
        new("s-ckpt", id, 1, "0123", "tiny", 7, TestSpecs.Synthetic().Evaluation, checkpoint);

    [Fact]
    public async Task An_evaluator_that_lacks_the_checkpoint_fetches_it_from_the_node_that_has_it_verifies_and_caches_it()
    {
        var (sha, bytes) = nodes.NewCheckpoint();
        var backend = new ReadingBackend();
        var (queue, reports) = LoopbackNodes.Collector(nodes.Evaluator);
        var evaluator = nodes.Evaluator.ActorOf(EvaluatorActor.Props(queue, backend.FetchingCheckpoints(nodes.Fetcher)));
        var transfersBefore = nodes.Fetcher.Transfers;

        evaluator.Tell(Job(1, RefOnTrainer(sha)));
        var first = await reports.NextAsync<JobSucceeded>(Within);
        evaluator.Tell(Job(2, RefOnTrainer(sha)));
        var second = await reports.NextAsync<JobSucceeded>(Within);

        Assert.Equal(bytes.Length, first.Metrics.Accuracy);
        Assert.Equal(bytes.Length, second.Metrics.Accuracy);
        var cached = Path.Combine(nodes.EvaluatorCache.Folder, sha + ".nasckpt");
        Assert.All(backend.Paths, p => Assert.Equal(cached, p));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(cached));
        Assert.Equal(1, nodes.Fetcher.Transfers - transfersBefore); // the second job used the cache
        Assert.Empty(nodes.EvaluatorCache.TemporaryFiles());
        nodes.Evaluator.Stop(evaluator);
    }

    public static TheoryData<string> Damages() => ["flipped byte", "truncated", "stream failed"];

    private static Source<byte[], NotUsed> Damaged(string damage, Source<byte[], NotUsed> bytes) => damage switch
    {
        "flipped byte" => bytes.Select(Flip()),
        "truncated" => bytes.Take(2),
        "stream failed" => bytes.Take(1).Concat(Source.Failed<byte[]>(new IOException("disk read error (test)"))),
        _ => throw new ArgumentException(damage),
    };

    private static Func<byte[], byte[]> Flip()
    {
        var first = true;
        return chunk =>
        {
            if (!first) return chunk;
            first = false;
            var copy = (byte[])chunk.Clone();
            copy[copy.Length / 2] ^= 0x5A;
            return copy;
        };
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_transfer_damaged_on_the_first_attempt_is_retried_and_the_damaged_bytes_are_never_cached(string damage)
    {
        var (sha, bytes) = nodes.NewCheckpoint();
        var attempts = new ConcurrentQueue<int>();
        IReadOnlyList<string>? cacheWhenRetried = null;
        nodes.Damage[sha] = (request, source) =>
        {
            attempts.Enqueue(request.Attempt);
            if (request.Attempt == 1) return Damaged(damage, source);
            // The retry's request arrives after the first transfer was judged: nothing of it may be in the folder.
            cacheWhenRetried = nodes.EvaluatorCache.Files().Concat(nodes.EvaluatorCache.TemporaryFiles()).Where(f => f.Contains(sha) || Path.GetFileName(f).StartsWith('.')).ToArray();
            return source;
        };

        var path = await nodes.Fetcher.LocalPathAsync(RefOnTrainer(sha), CancellationToken.None).WaitAsync(Within);

        Assert.Equal([1, 2], attempts.ToArray());
        Assert.NotNull(cacheWhenRetried);
        Assert.Empty(cacheWhenRetried);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Empty(nodes.EvaluatorCache.TemporaryFiles());
    }

    [Fact]
    public async Task A_transfer_corrupted_on_every_attempt_fails_naming_the_checkpoint_and_the_fault_and_caches_nothing()
    {
        var (sha, _) = nodes.NewCheckpoint();
        nodes.Damage[sha] = (_, source) => source.Select(Flip());

        var e = await Assert.ThrowsAsync<CheckpointFetchException>(() =>
            nodes.Fetcher.LocalPathAsync(RefOnTrainer(sha), CancellationToken.None).WaitAsync(Within));

        Assert.Contains(sha, e.Message);
        Assert.Contains("after 3 attempt(s)", e.Message);
        Assert.Contains("corrupted in transit", e.Message);
        Assert.Null(nodes.EvaluatorCache.Find(sha));
        Assert.DoesNotContain(nodes.EvaluatorCache.Files(), f => f.Contains(sha));
        Assert.Empty(nodes.EvaluatorCache.TemporaryFiles());
    }

    [Fact]
    public async Task A_job_whose_checkpoint_no_node_has_fails_with_a_message_naming_the_checkpoint()
    {
        var sha = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var (queue, reports) = LoopbackNodes.Collector(nodes.Evaluator);
        var evaluator = nodes.Evaluator.ActorOf(EvaluatorActor.Props(queue, new ReadingBackend().FetchingCheckpoints(nodes.Fetcher)));

        evaluator.Tell(Job(3, RefOnTrainer(sha)));
        var failed = await reports.NextAsync<JobFailed>(Within);

        Assert.Contains(sha, failed.Reason);
        Assert.Contains("does not have it", failed.Reason);
        Assert.Null(nodes.EvaluatorCache.Find(sha));
        nodes.Evaluator.Stop(evaluator);
    }

    [Fact]
    public async Task A_stale_file_at_the_jobs_path_is_not_used_the_checkpoint_is_fetched_instead()
    {
        var (sha, bytes) = nodes.NewCheckpoint();
        var stale = Path.Combine(Directory.CreateTempSubdirectory("nas-ckpt-stale-").FullName, sha + ".nasckpt");
        await File.WriteAllBytesAsync(stale, bytes[..^1]);

        var path = await nodes.Fetcher.LocalPathAsync(new CheckpointRef(sha, stale, 60), CancellationToken.None).WaitAsync(Within);

        Assert.NotEqual(stale, path);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Directory.Delete(Path.GetDirectoryName(stale)!, recursive: true);
    }

    [Fact]
    public async Task A_cached_checkpoint_damaged_on_disk_is_fetched_again()
    {
        var (sha, bytes) = nodes.NewCheckpoint();
        var path = await nodes.Fetcher.LocalPathAsync(RefOnTrainer(sha), CancellationToken.None).WaitAsync(Within);
        var damaged = (byte[])bytes.Clone();
        damaged[7] ^= 1;
        await File.WriteAllBytesAsync(path, damaged);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var transfers = nodes.Fetcher.Transfers;

        var again = await nodes.Fetcher.LocalPathAsync(RefOnTrainer(sha), CancellationToken.None).WaitAsync(Within);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(again));
        Assert.Equal(transfers + 1, nodes.Fetcher.Transfers);
    }

    [Fact]
    public async Task A_server_serves_only_content_addressed_files_of_its_folder()
    {
        var (queue, replies) = LoopbackNodes.Collector(nodes.Evaluator);
        var server = nodes.Evaluator.ActorSelection(new RootActorPath(Akka.Cluster.Cluster.Get(nodes.Trainer).SelfAddress) / "user" / CheckpointServer.Name);

        server.Tell(new RequestCheckpoint("../../etc/passwd", 1), queue);
        var refused = await replies.NextAsync<CheckpointUnavailable>(Within);

        Assert.Contains("not a SHA-256", refused.Reason);
    }
}
