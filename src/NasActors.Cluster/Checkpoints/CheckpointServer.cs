using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using static NasActors.Cluster.Checkpoints.CheckpointTransferProtocol;

namespace NasActors.Cluster.Checkpoints;

/// <summary>
/// Serves this node's checkpoints to other nodes (one per node, at <c>/user/checkpoint-server</c>): a request names a
/// SHA-256 only, never a path, so a peer can read nothing but the content-addressed files of the checkpoint folder.
/// The bytes go out as a <see cref="ISourceRef{T}"/> of byte[] chunks (Akka's byte-array serializer; the stream ref
/// protocol adds back-pressure and fails the receiver if this node dies). The receiver checks length and SHA-256.
/// </summary>
public sealed class CheckpointServer : ReceiveActor
{
    public const string Name = "checkpoint-server";

    /// <summary>Chunk size: well under Akka.Remote's default maximum frame (128,000 bytes).</summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>A stage on the way out, for tests that damage bytes in transit; null in production.</summary>
    public delegate Source<byte[], NotUsed> Transit(RequestCheckpoint request, Source<byte[], NotUsed> bytes);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IMaterializer _materializer = Context.Materializer();

    public static Props Props(CheckpointCache cache, int chunkSize = DefaultChunkSize, Transit? transit = null) =>
        Akka.Actor.Props.Create(() => new CheckpointServer(cache, chunkSize, transit));

    public CheckpointServer(CheckpointCache cache, int chunkSize, Transit? transit)
    {
        Receive<RequestCheckpoint>(request =>
        {
            if (!CheckpointCache.IsSha256(request.Sha256))
            {
                Sender.Tell(new CheckpointUnavailable(request.Sha256, "not a SHA-256 (64 hex digits)"));
                return;
            }
            var path = cache.Find(request.Sha256);
            if (path is null)
            {
                Sender.Tell(new CheckpointUnavailable(request.Sha256, $"{Self.Path.Address} does not have it"));
                return;
            }
            long length;
            try { length = new FileInfo(path).Length; }
            catch (IOException e)
            {
                Sender.Tell(new CheckpointUnavailable(request.Sha256, $"{Self.Path.Address} cannot read it: {e.Message}"));
                return;
            }
            _log.Info("Serving checkpoint {0} ({1} bytes, attempt {2}) to {3}", request.Sha256, length, request.Attempt, Sender.Path.Address);
            var bytes = FileIO.FromFile(new FileInfo(path), chunkSize)
                .Select(chunk => chunk.ToArray())
                .MapMaterializedValue(_ => NotUsed.Instance);
            if (transit is not null) bytes = transit(request, bytes);
            var system = Context.System;
            var fileName = Path.GetFileName(path);
            bytes.RunWith(StreamRefs.SourceRef<byte[]>(), _materializer)
                .PipeTo(Sender,
                    success: source => CheckpointOffer.Create(system, request.Sha256, fileName, length, source),
                    failure: e => new CheckpointUnavailable(request.Sha256, $"{system.Name} could not open a stream: {e.Message}"));
        });
    }
}
