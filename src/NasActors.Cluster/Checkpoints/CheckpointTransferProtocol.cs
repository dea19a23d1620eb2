using Akka.Actor;
using Akka.Streams;
using NasActors.Cluster.Protocol;

namespace NasActors.Cluster.Checkpoints;

/// <summary>
/// Checkpoint distribution between nodes: a node that lacks a checkpoint asks a <see cref="CheckpointServer"/> of
/// another node for it by SHA-256 and receives a stream reference of its bytes.
/// </summary>
public static class CheckpointTransferProtocol
{
    /// <summary>Fetcher -> server: send me the checkpoint with this SHA-256 (attempt n of this fetch).</summary>
    public sealed record RequestCheckpoint(string Sha256, int Attempt) : INasMessage;

    /// <summary>Server -> fetcher: this node does not have it (or cannot serve it); the reason says which.</summary>
    public sealed record CheckpointUnavailable(string Sha256, string Reason) : INasMessage;

    /// <summary>
    /// Server -> fetcher: the checkpoint's bytes (<see cref="Length"/> of them, in chunks of byte[]) are behind a
    /// stream reference. The reference itself is serialized by Akka.Streams' own serializer and carried here as
    /// bytes (serializer id + manifest), so the envelope still goes through the NasSerializer.
    /// </summary>
    public sealed record CheckpointOffer(string Sha256, string FileName, long Length, int SourceRefSerializer,
        string SourceRefManifest, byte[] SourceRef) : INasMessage
    {
        public static CheckpointOffer Create(ActorSystem system, string sha256, string fileName, long length, ISourceRef<byte[]> source)
        {
            var serialization = system.Serialization;
            var serializer = serialization.FindSerializerFor(source);
            // With the transport information set, the stream's actor is written with this node's remote address.
            var bytes = Akka.Serialization.Serialization.WithTransport((ExtendedActorSystem)system, () => serializer.ToBinary(source));
            return new CheckpointOffer(sha256, fileName, length, serializer.Identifier,
                Akka.Serialization.Serialization.ManifestFor(serializer, source), bytes);
        }

        /// <summary>The stream reference, resolved in this actor system (needs a materializer created first).</summary>
        public ISourceRef<byte[]> SourceIn(ActorSystem system) =>
            (ISourceRef<byte[]>)system.Serialization.Deserialize(SourceRef, SourceRefSerializer, SourceRefManifest);
    }
}
