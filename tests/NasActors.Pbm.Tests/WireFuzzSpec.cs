using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using NasActors.Pbm.Host;
using NasActors.Pbm.Protocol;
using NasActors.Pbm.Tests.Support;

namespace NasActors.Pbm.Tests;

/// <summary>
/// The host's wire protocol under random and hostile input: random bytes, truncated frames, oversized and empty
/// frames, garbage JSON, messages out of order, silence. Every such connection is closed by the host within its idle
/// timeout (no hang), the host does not crash, and a client connected beside them keeps being served.
/// </summary>
public sealed class WireFuzzSpec
{
    private const int MaxFrame = 4096;

    [Fact]
    public async Task Random_truncated_oversized_and_garbage_frames_close_only_their_connection()
    {
        await using var nodes = new ClusterNodes();
        var node = nodes.Start("controller", $"nas.pbm {{ idle-timeout = 1s, max-frame-bytes = {MaxFrame} }}");
        await ClusterNodes.AllUpAsync(node, 1);
        var host = CommandHost.Get(node);
        var port = host.Endpoint!.Port;
        await using var good = await PbmConnection.ConnectAsync("127.0.0.1", port, null);
        var show = CommandLine.Parse(good.Palettes, ["cluster", "show"]);

        using var stop = new CancellationTokenSource();
        var served = 0;
        var goodClient = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var lines = new List<string>();
                Assert.Null(await good.ExecuteAsync(show, l => { lines.Add(l); return Task.CompletedTask; }, CancellationToken.None));
                Assert.Equal("Count: 1 nodes", lines[^1]);
                Interlocked.Increment(ref served);
            }
        });

        var random = new Random(20261127);
        var cases = Enumerable.Range(0, 240).Select(i => Case(i % 12, random)).ToArray();
        foreach (var batch in cases.Chunk(16))
            await Task.WhenAll(batch.Select(c => RunCaseAsync(port, c)));

        await stop.CancelAsync();
        await goodClient;
        Assert.True(served > 0);
        await Eventually.HoldsAsync(() => host.Connections == 1, "only the good client connected", TimeSpan.FromSeconds(10));
        var after = await PbmCli.RunAsync($"127.0.0.1:{port}", "cluster", "show");
        Assert.True(after.ExitCode == 0, after.ToString());
    }

    /// <summary>What a hostile client sends, and whether the host must close the connection by itself.</summary>
    private sealed record FuzzCase(string Name, byte[] Bytes, bool HostCloses);

    private static byte[] Frame(byte[] payload, uint? length = null)
    {
        var frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, length ?? (uint)payload.Length);
        payload.CopyTo(frame, 4);
        return frame;
    }

    private static byte[] Json(string text) => Frame(Encoding.UTF8.GetBytes(text));

    private static readonly byte[] Hello = Frame(PbmWire.Encode(new Hello(PbmWire.Version, "fuzz", null)));

    private static byte[] Bytes(Random r, int min, int max)
    {
        var b = new byte[r.Next(min, max)];
        r.NextBytes(b);
        return b;
    }

    /// <summary>A header that promises more bytes than follow (then silence: the idle timeout must close it).</summary>
    private static byte[] Truncated(Random r)
    {
        var payload = Bytes(r, 0, 200);
        return Frame(payload, (uint)(payload.Length + r.Next(1, MaxFrame - 200)));
    }

    private static FuzzCase Case(int kind, Random r) => kind switch
    {
        0 => new("random bytes", Bytes(r, 1, 3000), true),
        1 => new("oversized length", Frame(Bytes(r, 0, 64), (uint)r.Next(MaxFrame + 1, int.MaxValue)), true),
        2 => new("empty frame", Frame([]), true),
        3 => new("truncated header", Bytes(r, 1, 4), true),
        4 => new("truncated payload", Truncated(r), true),
        5 => new("random payload", Frame(Bytes(r, 1, MaxFrame)), true),
        6 => new("garbage json", Json(r.Next(4) switch
        {
            0 => "{\"type\":\"nonsense\"}",
            1 => "{\"type\":\"hello\",\"version\":\"one\"}",
            2 => new string('[', 2000) + new string(']', 2000),
            _ => "{\"type\":\"welcome\",\"version\":1,\"node\":\"x\",\"palettes\":[],\"idleTimeoutSeconds\":1}",
        }), true),
        7 => new("execute before hello", Json("{\"type\":\"execute\",\"id\":1,\"palette\":\"cluster\",\"command\":\"leave\",\"arguments\":{}}"), true),
        8 => new("silence", [], true),
        9 => new("wrong version", Frame(PbmWire.Encode(new Hello(99, "fuzz", null))), true),
        10 => new("hello then random frames", [.. Hello, .. Frame(Bytes(r, 1, 500)), .. Bytes(r, 0, 100)], true),
        // Valid frames of nonsense commands: each answered with failed; the connection stays open until we close it.
        _ => new("hello then unknown commands", [.. Hello, .. Json("{\"type\":\"execute\",\"id\":1,\"palette\":\"x" + r.Next() + "\",\"command\":\"y\",\"arguments\":{}}"),
            .. Json("{\"type\":\"execute\",\"id\":2,\"palette\":\"cluster\",\"command\":\"down\",\"arguments\":{\"zz\":\"1\"}}"),
            .. Json("{\"type\":\"execute\",\"id\":3,\"palette\":\"cluster\",\"command\":\"down\",\"arguments\":{}}"),
            .. Json("{\"type\":\"cancel\",\"id\":77}"), .. Json("{\"type\":\"ping\"}")], false),
    };

    private static async Task RunCaseAsync(int port, FuzzCase c)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try { await stream.WriteAsync(c.Bytes); }
        catch (IOException) { } // the host may close before reading everything
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[8192];
        var received = new List<byte>();
        try
        {
            if (!c.HostCloses)
            {
                // Four answers (failed, failed, failed, pong) arrive, then we leave.
                var messages = 0;
                while (messages < 4)
                {
                    var m = await PbmWire.ReceiveAsync(stream, 1 << 20, deadline.Token);
                    Assert.NotNull(m);
                    if (m is Welcome) continue;
                    Assert.True(m is Failed or Pong, $"{c.Name}: unexpected {m}");
                    messages++;
                }
                return;
            }
            while (true)
            {
                var n = await stream.ReadAsync(buffer, deadline.Token);
                if (n == 0) return; // closed by the host: what we wanted
                received.AddRange(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (OperationCanceledException) { Assert.Fail($"{c.Name}: the host kept the connection open for 10 s"); }
        catch (IOException) { } // reset by the host: closed too
    }
}
