using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Akka.Event;
using NasActors.Pbm.Protocol;

namespace NasActors.Pbm.Host;

/// <summary>
/// The TCP side of the command host: accepts pbm clients, checks their hello (version, token), sends the palettes,
/// runs their commands one at a time per connection. Anything that breaks the protocol (garbage, a frame over the
/// limit, a truncated frame) closes that connection only; a connection that sends nothing for the idle timeout
/// while no command runs is closed.
/// </summary>
public sealed class CommandServer : IAsyncDisposable
{
    private readonly CommandHostSettings _settings;
    private readonly Func<IReadOnlyList<PaletteDefinition>> _palettes;
    private readonly Func<string, string, CommandHandler?> _handler;
    private readonly Func<IReadOnlyDictionary<string, string>, CommandRequest> _request;
    private readonly string _node;
    private readonly ILoggingAdapter _log;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public CommandServer(CommandHostSettings settings, string node, Func<IReadOnlyList<PaletteDefinition>> palettes,
        Func<string, string, CommandHandler?> handler, Func<IReadOnlyDictionary<string, string>, CommandRequest> request, ILoggingAdapter log)
    {
        _settings = settings;
        _node = node;
        _palettes = palettes;
        _handler = handler;
        _request = request;
        _log = log;
        _listener = new TcpListener(settings.BindAddress(), settings.Port);
        _listener.Start();
        Endpoint = (IPEndPoint)_listener.LocalEndpoint;
        _accepting = Task.Run(AcceptAsync);
    }

    public IPEndPoint Endpoint { get; }

    /// <summary>Connections open now (for tests and the log).</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException e) { _log.Warning("pbm host: accept failed: {0}", e.Message); continue; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var open = Interlocked.Increment(ref _connections);
        try
        {
            client.NoDelay = true;
            await using var connection = new Connection(this, client);
            if (open > _settings.MaxConnections) { await connection.RefuseAsync($"too many connections (limit {_settings.MaxConnections})"); return; }
            await connection.RunAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
        catch (Exception e) { _log.Error(e, "pbm host: connection failed"); }
        finally
        {
            Interlocked.Decrement(ref _connections);
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting.ConfigureAwait(false); } catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>One client: a read loop, and at most one command running beside it.</summary>
    private sealed class Connection(CommandServer server, TcpClient client) : IAsyncDisposable
    {
        private readonly NetworkStream _stream = client.GetStream();
        private readonly SemaphoreSlim _writing = new(1, 1);
        private readonly CancellationTokenSource _closed = CancellationTokenSource.CreateLinkedTokenSource(server._stop.Token);
        private readonly object _gate = new();
        private CancellationTokenSource? _read;
        private (int Id, CancellationTokenSource Cancel, Task Task)? _running;

        public async Task RunAsync()
        {
            var hello = await ReadAsync().ConfigureAwait(false);
            if (hello is not Hello h) { await RefuseAsync(hello is null ? "closed before hello" : $"expected hello, got {hello.GetType().Name.ToLowerInvariant()}"); return; }
            if (h.Version != PbmWire.Version) { await RefuseAsync($"protocol version {h.Version} is not supported (host speaks {PbmWire.Version})"); return; }
            if (server._settings.Token.Length > 0 && !TokenMatches(h.Token))
            {
                await RefuseAsync(h.Token is null ? "this host requires a token (--token or PBM_TOKEN)" : "wrong token");
                return;
            }
            await SendAsync(new Welcome(PbmWire.Version, server._node, server._palettes(), (int)Math.Ceiling(server._settings.IdleTimeout.TotalSeconds)));
            while (true)
            {
                var message = await ReadAsync().ConfigureAwait(false);
                switch (message)
                {
                    case null: return; // closed, idle timeout, or protocol error (already answered)
                    case Execute e: await StartAsync(e); break;
                    case Cancel c:
                        lock (_gate) if (_running is { } r && r.Id == c.Id) r.Cancel.Cancel();
                        break;
                    case Ping: await SendAsync(new Pong()); break;
                    default: await RefuseAsync($"unexpected {message.GetType().Name.ToLowerInvariant()} from a client"); return;
                }
            }
        }

        private bool TokenMatches(string? token) => token is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(server._settings.Token));

        /// <summary>The next message; null on close, on the idle timeout, or on a protocol error (answered with Refused).</summary>
        private async Task<PbmMessage?> ReadAsync()
        {
            CancellationTokenSource read;
            lock (_gate)
            {
                read = _read = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
                if (_running is null) read.CancelAfter(server._settings.IdleTimeout);
            }
            try { return await PbmWire.ReceiveAsync(_stream, server._settings.MaxFrameBytes, read.Token).ConfigureAwait(false); }
            catch (ProtocolException e) { await RefuseAsync(e.Message); return null; }
            catch (OperationCanceledException) when (!_closed.IsCancellationRequested) { await RefuseAsync("idle timeout"); return null; }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { return null; }
            finally
            {
                lock (_gate) _read = null;
                read.Dispose();
            }
        }

        private async Task StartAsync(Execute e)
        {
            lock (_gate)
                if (_running is not null)
                {
                    _ = SendAsync(new Failed(e.Id, "another command is running on this connection"));
                    return;
                }
            ParsedCommand parsed;
            CommandHandler? handler;
            try
            {
                parsed = CommandLine.Check(server._palettes(), e.Palette ?? "", e.Command ?? "", e.Arguments);
                handler = server._handler(parsed.Palette, parsed.Command);
                if (handler is null) throw new FormatException($"no handler for {parsed.Palette} {parsed.Command}");
            }
            catch (FormatException f) { await SendAsync(new Failed(e.Id, f.Message)); return; }
            var cancel = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
            lock (_gate) _running = (e.Id, cancel, Task.Run(() => RunCommandAsync(e.Id, parsed, handler, cancel)));
        }

        private async Task RunCommandAsync(int id, ParsedCommand parsed, CommandHandler handler, CancellationTokenSource cancel)
        {
            PbmMessage end;
            try
            {
                await handler(server._request(parsed.Arguments), new Lines(this, id), cancel.Token).ConfigureAwait(false);
                end = new Done(id);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested) { end = new Done(id); }
            catch (CommandFailedException f) { end = new Failed(id, f.Message); }
            catch (Exception ex)
            {
                server._log.Warning("pbm host: {0} {1} failed: {2}", parsed.Palette, parsed.Command, ex);
                end = new Failed(id, $"{ex.GetType().Name}: {ex.Message}");
            }
            lock (_gate)
            {
                _running = null;
                _read?.CancelAfter(server._settings.IdleTimeout);
            }
            cancel.Dispose();
            try { await SendAsync(end).ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
        }

        public async Task SendAsync(PbmMessage message)
        {
            await _writing.WaitAsync(_closed.Token).ConfigureAwait(false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closed.Token);
                timeout.CancelAfter(server._settings.IdleTimeout); // a client that stops reading cannot hold us forever
                await PbmWire.SendAsync(_stream, message, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { await _closed.CancelAsync(); throw; }
            finally { _writing.Release(); }
        }

        public async Task RefuseAsync(string reason)
        {
            try { await SendAsync(new Refused(reason)).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
            await _closed.CancelAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await _closed.CancelAsync();
            Task? running;
            lock (_gate) running = _running?.Task;
            if (running is not null) try { await running.ConfigureAwait(false); } catch (Exception) { /* already reported */ }
            client.Close();
            _closed.Dispose();
        }

        private sealed class Lines(Connection connection, int id) : ICommandOutput
        {
            private const int MaxLine = 16 * 1024;

            public async ValueTask WriteLineAsync(string line) =>
                await connection.SendAsync(new Output(id, line.Length > MaxLine ? line[..MaxLine] + "..." : line)).ConfigureAwait(false);
        }
    }
}
