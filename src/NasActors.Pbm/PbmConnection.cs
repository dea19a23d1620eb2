using System.Net.Sockets;
using NasActors.Pbm.Protocol;

namespace NasActors.Pbm;

/// <summary>Could not reach the host, or it refused the connection; the message is the one line pbm prints.</summary>
public sealed class ConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One connection to a command host: the hello/welcome handshake (the palettes come with the welcome), commands run
/// one at a time, and pings while idle so the host's idle timeout does not close an interactive session.
/// </summary>
public sealed class PbmConnection : IAsyncDisposable
{
    public const int MaxFrameBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _closed = new();
    private readonly Task _pinging;
    private int _nextId;
    private int _busy;
    private int _disposed;

    private PbmConnection(TcpClient client, Welcome welcome, string endpoint)
    {
        _client = client;
        _stream = client.GetStream();
        Welcome = welcome;
        Endpoint = endpoint;
        _pinging = Task.Run(PingAsync);
    }

    public Welcome Welcome { get; }
    public string Endpoint { get; }
    public IReadOnlyList<PaletteDefinition> Palettes => Welcome.Palettes;

    public static async Task<PbmConnection> ConnectAsync(string host, int port, string? token, CancellationToken cancel = default)
    {
        var endpoint = $"{host}:{port}";
        var client = new TcpClient { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            timeout.CancelAfter(ConnectTimeout);
            try { await client.ConnectAsync(host, port, timeout.Token); }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { throw new ConnectionException($"cannot connect to {endpoint}: timed out after {ConnectTimeout.TotalSeconds:0}s"); }
            catch (SocketException e) { throw new ConnectionException($"cannot connect to {endpoint}: {e.Message}", e); }
            var stream = client.GetStream();
            await PbmWire.SendAsync(stream, new Hello(PbmWire.Version, "pbm", token), timeout.Token);
            PbmMessage? answer;
            try { answer = await PbmWire.ReceiveAsync(stream, MaxFrameBytes, timeout.Token); }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { throw new ConnectionException($"{endpoint} did not answer the handshake (is it a pbm host?)"); }
            catch (ProtocolException e) { throw new ConnectionException($"{endpoint} is not a pbm host: {e.Message}", e); }
            return answer switch
            {
                Welcome w when w.Version == PbmWire.Version => new PbmConnection(client, w, endpoint),
                Welcome w => throw new ConnectionException($"{endpoint} speaks protocol version {w.Version}, this pbm speaks {PbmWire.Version}"),
                Refused r => throw new ConnectionException($"{endpoint} refused the connection: {r.Reason}"),
                null => throw new ConnectionException($"{endpoint} closed the connection during the handshake"),
                _ => throw new ConnectionException($"{endpoint} answered the handshake with {answer.GetType().Name.ToLowerInvariant()}"),
            };
        }
        catch (IOException e)
        {
            client.Dispose();
            throw new ConnectionException($"connection to {endpoint} failed: {e.Message}", e);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a command: each output line goes to <paramref name="line"/>. Cancelling <paramref name="cancel"/> asks the
    /// host to stop the command (how a stream ends) and waits for its end. Returns null on success, else the reason.
    /// </summary>
    public async Task<string?> ExecuteAsync(ParsedCommand command, Func<string, Task> line, CancellationToken cancel)
    {
        if (Interlocked.Exchange(ref _busy, 1) == 1) throw new InvalidOperationException("a command is running");
        try
        {
            var id = Interlocked.Increment(ref _nextId);
            await SendAsync(new Execute(id, command.Palette, command.Command, command.Arguments));
            using var cancelling = cancel.Register(() => _ = SendAsync(new Cancel(id)).ContinueWith(_ => { }, TaskScheduler.Default));
            while (true)
            {
                PbmMessage? message;
                try { message = await PbmWire.ReceiveAsync(_stream, MaxFrameBytes, _closed.Token); }
                catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException)
                {
                    throw new ConnectionException($"connection to {Endpoint} lost: {e.Message}", e);
                }
                switch (message)
                {
                    case Output o when o.Id == id: await line(o.Line); break;
                    case Done d when d.Id == id: return null;
                    case Failed f when f.Id == id: return f.Reason;
                    case Refused r: throw new ConnectionException($"{Endpoint} closed the connection: {r.Reason}");
                    case null: throw new ConnectionException($"{Endpoint} closed the connection");
                    default: break; // pongs, and lines of an earlier command
                }
            }
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    private async Task SendAsync(PbmMessage message)
    {
        await _writing.WaitAsync(_closed.Token);
        try { await PbmWire.SendAsync(_stream, message, _closed.Token); }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { throw new ConnectionException($"connection to {Endpoint} lost: {e.Message}", e); }
        finally { _writing.Release(); }
    }

    private async Task PingAsync()
    {
        var every = TimeSpan.FromSeconds(Math.Max(1, Welcome.IdleTimeoutSeconds) / 3.0);
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                await Task.Delay(every, _closed.Token);
                if (Volatile.Read(ref _busy) == 0) await SendAsync(new Ping());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ConnectionException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _closed.CancelAsync();
        try { await _pinging; } catch (OperationCanceledException) { }
        _client.Dispose();
        _closed.Dispose();
    }
}
