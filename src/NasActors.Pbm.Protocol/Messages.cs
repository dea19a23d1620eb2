using System.Text.Json;
using System.Text.Json.Serialization;

namespace NasActors.Pbm.Protocol;

/// <summary>
/// Every frame carries one message, a JSON object whose <c>type</c> names it. The client opens with
/// <see cref="Hello"/>; the host answers <see cref="Welcome"/> (with the palettes) or <see cref="Refused"/>.
/// Then the client sends <see cref="Execute"/>, the host answers with any number of <see cref="Output"/> lines and
/// one <see cref="Done"/> or <see cref="Failed"/> with the same id. <see cref="Cancel"/> ends a streamed command;
/// <see cref="Ping"/> keeps an idle connection open.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(Hello), "hello")]
[JsonDerivedType(typeof(Welcome), "welcome")]
[JsonDerivedType(typeof(Refused), "refused")]
[JsonDerivedType(typeof(Execute), "execute")]
[JsonDerivedType(typeof(Output), "output")]
[JsonDerivedType(typeof(Done), "done")]
[JsonDerivedType(typeof(Failed), "failed")]
[JsonDerivedType(typeof(Cancel), "cancel")]
[JsonDerivedType(typeof(Ping), "ping")]
[JsonDerivedType(typeof(Pong), "pong")]
public abstract record PbmMessage;

/// <summary>Client -> host, first frame. <see cref="Token"/> is required when the host has one configured.</summary>
public sealed record Hello(int Version, string Client, string? Token) : PbmMessage;

/// <summary>Host -> client: the catalogue of commands, and how long the host waits for a frame before closing.</summary>
public sealed record Welcome(int Version, string Node, IReadOnlyList<PaletteDefinition> Palettes, int IdleTimeoutSeconds) : PbmMessage;

/// <summary>Host -> client, then the host closes the connection (bad token, wrong version, a protocol error).</summary>
public sealed record Refused(string Reason) : PbmMessage;

public sealed record Execute(int Id, string Palette, string Command, IReadOnlyDictionary<string, string> Arguments) : PbmMessage;

public sealed record Output(int Id, string Line) : PbmMessage;

public sealed record Done(int Id) : PbmMessage;

public sealed record Failed(int Id, string Reason) : PbmMessage;

public sealed record Cancel(int Id) : PbmMessage;

public sealed record Ping : PbmMessage;

public sealed record Pong : PbmMessage;

public static class PbmWire
{
    /// <summary>The protocol version both sides must speak (sent in <see cref="Hello"/> and <see cref="Welcome"/>).</summary>
    public const int Version = 1;

    /// <summary>Default TCP port of the command host.</summary>
    public const int DefaultPort = 9110;

    /// <summary>Environment variable the client reads the shared token from when <c>--token</c> is not given.</summary>
    public const string TokenVariable = "PBM_TOKEN";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        MaxDepth = 16,
        AllowOutOfOrderMetadataProperties = true, // "type" may come anywhere in the object
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Encode(PbmMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, Options);

    /// <summary>Decodes one payload; anything that is not a known message is a <see cref="ProtocolException"/>.</summary>
    public static PbmMessage Decode(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonSerializer.Deserialize<PbmMessage>(payload, Options) ?? throw new ProtocolException("null message");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new ProtocolException($"not a pbm message: {e.Message.Split('\n')[0]}");
        }
    }

    public static Task SendAsync(Stream stream, PbmMessage message, CancellationToken cancel = default) =>
        Frames.WriteAsync(stream, Encode(message), cancel);

    /// <summary>The next message, or null when the peer closed the connection between frames.</summary>
    public static async Task<PbmMessage?> ReceiveAsync(Stream stream, int maxBytes, CancellationToken cancel = default)
    {
        var payload = await Frames.ReadAsync(stream, maxBytes, cancel).ConfigureAwait(false);
        return payload is null ? null : Decode(payload);
    }
}
