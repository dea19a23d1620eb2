using System.Net;
using System.Net.Sockets;
using System.Text;

namespace NasActors.Cluster.Tests.Transport;

/// <summary>
/// A loopback TCP proxy that forwards every connection to a target port and records every byte that passes, both ways
/// (what an eavesdropper on the network would see).
/// </summary>
public sealed class TcpRecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _recorded = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;

    public TcpRecordingProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public int Connections { get; private set; }

    public byte[] Recorded()
    {
        lock (_recorded) return _recorded.ToArray();
    }

    public bool Saw(string marker)
    {
        var needle = Encoding.UTF8.GetBytes(marker);
        return Recorded().AsSpan().IndexOf(needle) >= 0;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            var server = new TcpClient();
            try { await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token); }
            catch (Exception) { client.Dispose(); server.Dispose(); continue; }
            Connections++;
            lock (_pumps)
            {
                _pumps.Add(PumpAsync(client, server));
                _pumps.Add(PumpAsync(server, client));
            }
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var n = await input.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                lock (_recorded) _recorded.Write(buffer, 0, n);
                await output.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception) { /* a side closed or the proxy stops */ }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] pumps;
        lock (_pumps) pumps = _pumps.ToArray();
        await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
