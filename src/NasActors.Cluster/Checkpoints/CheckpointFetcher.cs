using System.Collections.Concurrent;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using NasActors.Cluster.Evaluation;
using static NasActors.Cluster.Checkpoints.CheckpointTransferProtocol;

namespace NasActors.Cluster.Checkpoints;

/// <summary>A checkpoint that could not be fetched; the message names the checkpoint and every fault seen.</summary>
public sealed class CheckpointFetchException(string sha256, string message) : Exception(message)
{
    public string Sha256 { get; } = sha256;
}

/// <summary>How a node fetches checkpoints it lacks.</summary>
public sealed record CheckpointFetchOptions
{
    /// <summary>Transfers tried before giving up (each one from the first peer that has the checkpoint).</summary>
    public int Attempts { get; init; } = 3;
    /// <summary>How long a peer may take to answer a request.</summary>
    public TimeSpan AskTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>A transfer during which no chunk arrives for this long fails (and is retried).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Pause before the next attempt (doubled each time).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// Gives a local path for a job's checkpoint: the job's own path when that file has the right SHA-256 (one machine, or
/// a shared folder), else this node's <see cref="CheckpointCache"/>, else a transfer from a peer's
/// <see cref="CheckpointServer"/>. A transfer is written to a temporary file while its SHA-256 is computed; only a
/// complete file with the right length and SHA-256 is renamed into the cache. Anything else is deleted and the transfer
/// retried, so a corrupted or truncated checkpoint is never used. Concurrent requests for one checkpoint share a fetch.
/// </summary>
public sealed class CheckpointFetcher
{
    private readonly ActorSystem _system;
    private readonly Func<IReadOnlyList<ActorPath>> _peers;
    private readonly CheckpointFetchOptions _options;
    private readonly IMaterializer _materializer;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _fetching = new(StringComparer.OrdinalIgnoreCase);
    private int _transfers;

    public CheckpointFetcher(ActorSystem system, CheckpointCache cache, Func<IReadOnlyList<ActorPath>> peers, CheckpointFetchOptions? options = null)
    {
        _system = system;
        Cache = cache;
        _peers = peers;
        _options = options ?? new CheckpointFetchOptions();
        if (_options.Attempts < 1) throw new ArgumentException("checkpoint fetch attempts must be at least 1");
        // Creating a materializer also loads Akka.Streams' serializer bindings, which the stream references need.
        _materializer = system.Materializer(namePrefix: "checkpoint-fetch");
    }

    public CheckpointCache Cache { get; }

    /// <summary>Transfers started so far (tests: a cached checkpoint is not fetched again).</summary>
    public int Transfers => Volatile.Read(ref _transfers);

    /// <summary>The checkpoint server of every other Up member, trainers first (they write the checkpoints).</summary>
    public static Func<IReadOnlyList<ActorPath>> ClusterPeers(ActorSystem system) => () =>
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        return cluster.State.Members
            .Where(m => m.Status == MemberStatus.Up && m.Address != cluster.SelfAddress)
            .OrderByDescending(m => m.HasRole("trainer")).ThenBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => (ActorPath)(new RootActorPath(m.Address) / "user" / CheckpointServer.Name))
            .ToArray();
    };

    /// <summary>A local file with the checkpoint's bytes, fetched from a peer when needed.</summary>
    public async Task<string> LocalPathAsync(CheckpointRef checkpoint, CancellationToken cancel)
    {
        var sha = checkpoint.Sha256.ToLowerInvariant();
        if (!CheckpointCache.IsSha256(sha))
            throw new CheckpointFetchException(checkpoint.Sha256, $"Checkpoint '{checkpoint.Sha256}' cannot be fetched: its name is not a SHA-256.");
        if (File.Exists(checkpoint.Path) && await HasShaAsync(checkpoint.Path, sha, cancel).ConfigureAwait(false)) return checkpoint.Path;
        if (Cache.Find(sha) is { } cached)
        {
            if (await HasShaAsync(cached, sha, cancel).ConfigureAwait(false)) return cached;
            File.Delete(cached); // damaged on this disk after it was installed: fetch it again
        }
        var fetch = _fetching.GetOrAdd(sha, s => new Lazy<Task<string>>(() => FetchAsync(s, CancellationToken.None)));
        try { return await fetch.Value.WaitAsync(cancel).ConfigureAwait(false); }
        finally
        {
            if (fetch.Value.IsCompleted) _fetching.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(sha, fetch));
        }
    }

    /// <summary>Files whose SHA-256 was checked, with the length and write time they had then (a job per file hashes once).</summary>
    private readonly ConcurrentDictionary<string, (string Sha, long Length, DateTime Written)> _verified = new(StringComparer.Ordinal);

    private async Task<bool> HasShaAsync(string path, string sha, CancellationToken cancel)
    {
        try
        {
            var info = new FileInfo(path);
            if (_verified.TryGetValue(path, out var v) && v.Sha == sha && v.Length == info.Length && v.Written == info.LastWriteTimeUtc) return true;
            if (await CheckpointCache.Sha256OfAsync(path, cancel).ConfigureAwait(false) != sha) return false;
            _verified[path] = (sha, info.Length, info.LastWriteTimeUtc);
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>Fetches from peers, with retries; returns the cached file or throws naming the checkpoint and the faults.</summary>
    public async Task<string> FetchAsync(string sha256, CancellationToken cancel)
    {
        var sha = sha256.ToLowerInvariant();
        var faults = new List<string>();
        var delay = _options.RetryDelay;
        for (var attempt = 1; attempt <= _options.Attempts; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(delay, cancel).ConfigureAwait(false);
                delay *= 2;
            }
            var (offer, from, refusals) = await FindOfferAsync(sha, attempt, cancel).ConfigureAwait(false);
            if (offer is null)
            {
                faults.Add($"attempt {attempt}: no node offered it ({refusals})");
                continue;
            }
            try
            {
                return await TransferAsync(offer, from!, cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
            {
                faults.Add($"attempt {attempt} from {from!.Address}: {Fault(e)}");
                _system.Log.Warning("Checkpoint {0}: transfer attempt {1} of {2} from {3} failed, nothing kept: {4}",
                    sha, attempt, _options.Attempts, from.Address, Fault(e));
            }
        }
        throw new CheckpointFetchException(sha,
            $"Checkpoint {sha} could not be fetched after {_options.Attempts} attempt(s): {string.Join("; ", faults)}.");
    }

    private static string Fault(Exception e) => e switch
    {
        AggregateException a when a.InnerException is not null => Fault(a.InnerException),
        TransferFault f => f.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private async Task<(CheckpointOffer? Offer, ActorPath? From, string Refusals)> FindOfferAsync(string sha, int attempt, CancellationToken cancel)
    {
        var peers = _peers();
        if (peers.Count == 0) return (null, null, "no other node is known");
        var refusals = new List<string>();
        foreach (var peer in peers)
        {
            try
            {
                var reply = await _system.ActorSelection(peer).Ask<object>(new RequestCheckpoint(sha, attempt), _options.AskTimeout, cancel).ConfigureAwait(false);
                switch (reply)
                {
                    case CheckpointOffer o when o.Sha256.Equals(sha, StringComparison.OrdinalIgnoreCase): return (o, peer, "");
                    case CheckpointUnavailable u: refusals.Add(u.Reason); break;
                    default: refusals.Add($"{peer.Address} answered {reply.GetType().Name}"); break;
                }
            }
            catch (AskTimeoutException) { refusals.Add($"{peer.Address} did not answer within {_options.AskTimeout.TotalSeconds:0.#} s"); }
        }
        return (null, null, string.Join(", ", refusals));
    }

    private sealed class TransferFault(string message) : Exception(message);

    private async Task<string> TransferAsync(CheckpointOffer offer, ActorPath from, CancellationToken cancel)
    {
        Interlocked.Increment(ref _transfers);
        var sha = offer.Sha256.ToLowerInvariant();
        var temporary = Cache.NewTemporaryPath();
        try
        {
            long received = 0;
            string actual;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var source = offer.SourceIn(_system).Source;
                var (kill, done) = source
                    .IdleTimeout(_options.IdleTimeout)
                    .ViaMaterialized(KillSwitches.Single<byte[]>(), Keep.Right)
                    .ToMaterialized(Sink.ForEach<byte[]>(chunk =>
                    {
                        received += chunk.Length;
                        if (received > offer.Length)
                            throw new TransferFault($"more bytes arrived than the {offer.Length} announced");
                        file.Write(chunk);
                        hash.AppendData(chunk);
                    }), Keep.Both)
                    .Run(_materializer);
                await using (cancel.Register(() => kill.Abort(new OperationCanceledException("checkpoint fetch cancelled"))))
                    await done.ConfigureAwait(false);
                if (received != offer.Length)
                    throw new TransferFault($"truncated: {received} of {offer.Length} bytes arrived");
                actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                await file.FlushAsync(cancel).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            if (actual != sha) throw new TransferFault($"the {received} bytes received have SHA-256 {actual}, not {sha} (corrupted in transit)");
            var path = Cache.Install(temporary, sha, Path.GetExtension(offer.FileName));
            var installed = new FileInfo(path);
            _verified[path] = (sha, installed.Length, installed.LastWriteTimeUtc);
            _system.Log.Info("Checkpoint {0} fetched from {1} ({2} bytes) into {3}", sha, from.Address, received, path);
            return path;
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
