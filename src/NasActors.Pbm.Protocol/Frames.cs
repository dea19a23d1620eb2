using System.Buffers.Binary;

namespace NasActors.Pbm.Protocol;

/// <summary>Raised for anything on the wire that breaks the protocol; the connection is then closed.</summary>
public sealed class ProtocolException(string message) : Exception(message);

/// <summary>
/// Frames: a 4-byte big-endian payload length, then that many bytes of UTF-8 JSON. A length of 0 or above the
/// receiver's maximum is refused before anything is allocated, so a hostile length cannot exhaust memory.
/// </summary>
public static class Frames
{
    public const int HeaderBytes = 4;
    public const int DefaultMaxBytes = 1024 * 1024;

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken cancel = default)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame.AsMemory(HeaderBytes));
        await stream.WriteAsync(frame, cancel).ConfigureAwait(false);
        await stream.FlushAsync(cancel).ConfigureAwait(false);
    }

    /// <summary>The next payload, or null when the peer closed the stream cleanly between frames.</summary>
    public static async Task<byte[]?> ReadAsync(Stream stream, int maxBytes, CancellationToken cancel = default)
    {
        var header = new byte[HeaderBytes];
        var got = await FillAsync(stream, header, cancel).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < HeaderBytes) throw new ProtocolException("truncated frame header");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length == 0) throw new ProtocolException("empty frame");
        if (length > (uint)maxBytes) throw new ProtocolException($"frame of {length} bytes is over the limit of {maxBytes}");
        var payload = new byte[length];
        if (await FillAsync(stream, payload, cancel).ConfigureAwait(false) < payload.Length)
            throw new ProtocolException($"truncated frame: expected {length} bytes");
        return payload;
    }

    private static async Task<int> FillAsync(Stream stream, Memory<byte> buffer, CancellationToken cancel)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[total..], cancel).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
