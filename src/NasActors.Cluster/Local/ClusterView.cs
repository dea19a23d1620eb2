namespace NasActors.Cluster.Local;

/// <summary>
/// One node's view of the membership, from <c>pbm cluster tail</c> run next to it (in its namespace): the members,
/// their status, which are unreachable, and every moment the view became whole (the expected number of members, all
/// up, none unreachable) or stopped being so. The tail ends when the node's actor system ends (a rejoin); it is
/// started again once the node's new pbm host is up, and the view starts from its initial state again.
/// </summary>
public sealed class ClusterView : IAsyncDisposable
{
    private readonly Func<NasProcess> _startTail;
    private readonly NasProcess _node;
    private readonly int _expected;
    private readonly Dictionary<string, string> _status = new();
    private readonly HashSet<string> _unreachable = new();
    private readonly List<(DateTime At, bool Whole)> _changes = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _whole;

    /// <param name="node">The node (its output says when a new pbm host is up).</param>
    /// <param name="startTail">Starts <c>pbm 127.0.0.1:port cluster tail</c> beside the node.</param>
    /// <param name="expected">Members of the whole cluster.</param>
    public ClusterView(NasProcess node, Func<NasProcess> startTail, int expected)
    {
        _node = node;
        _startTail = startTail;
        _expected = expected;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Whether the view is whole now.</summary>
    public bool Whole { get { lock (_changes) return _whole; } }

    /// <summary>The first moment at or after <paramref name="after"/> at which the view was whole, if any yet.</summary>
    public DateTime? WholeAt(DateTime after)
    {
        lock (_changes)
        {
            var before = _changes.LastOrDefault(c => c.At <= after);
            if (before.Whole) return after;
            return _changes.Where(c => c.At > after && c.Whole).Select(c => (DateTime?)c.At).FirstOrDefault();
        }
    }

    /// <summary>Whether the view was whole during all of [<paramref name="from"/>, <paramref name="to"/>].</summary>
    public bool WholeThroughout(DateTime from, DateTime to)
    {
        lock (_changes)
            return _changes.LastOrDefault(c => c.At <= from).Whole && !_changes.Any(c => c.At > from && c.At <= to && !c.Whole);
    }

    private async Task LoopAsync()
    {
        var since = DateTime.MinValue;
        while (!_stop.IsCancellationRequested)
        {
            try { await _node.WaitForOutputAsync("pbm host at", TimeSpan.FromDays(1), since).WaitAsync(_stop.Token); }
            catch (OperationCanceledException) { return; }
            catch (TimeoutException) { return; }
            if (_node.HasExited) return;
            var tail = _startTail();
            var read = 0;
            try
            {
                Reset(DateTime.UtcNow);
                while (!tail.HasExited && !_stop.IsCancellationRequested)
                {
                    var lines = tail.Lines;
                    for (; read < lines.Count; read++) Apply(lines[read].At, lines[read].Line);
                    await Task.Delay(50, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
                var rest = tail.Lines;
                for (; read < rest.Count; read++) Apply(rest[read].At, rest[read].Line);
            }
            finally
            {
                tail.Dispose();
                Reset(DateTime.UtcNow);
            }
            since = DateTime.UtcNow; // the next pbm host is that of the node's next actor system
        }
    }

    private void Reset(DateTime at)
    {
        lock (_changes)
        {
            _status.Clear();
            _unreachable.Clear();
            Evaluate(at);
        }
    }

    /// <summary>One line of <c>cluster tail</c>: <c>member-up: address | [roles] | up |  | version</c>, <c>unreachable: address</c>, ...</summary>
    private void Apply(DateTime at, string line)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0) return;
        var kind = line[..colon];
        var rest = line[(colon + 2)..];
        var fields = rest.Split(" | ");
        var address = fields[0].Trim();
        lock (_changes)
        {
            switch (kind)
            {
                case "unreachable": _unreachable.Add(address); break;
                case "reachable": _unreachable.Remove(address); break;
                case "member-removed":
                    _status.Remove(address);
                    _unreachable.Remove(address);
                    break;
                case var k when k.StartsWith("member", StringComparison.Ordinal) && fields.Length >= 3:
                    _status[address] = fields[2].Trim();
                    break;
                default: return;
            }
            Evaluate(at);
        }
    }

    private void Evaluate(DateTime at)
    {
        var whole = _status.Count == _expected && _status.Values.All(s => s == "up") && _unreachable.Count == 0;
        if (whole == _whole && _changes.Count > 0) return;
        _whole = whole;
        _changes.Add((at, whole));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException) { }
    }
}
