using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;

namespace NasActors.Pbm.Host.Palettes;

/// <summary>What the palettes share: asking actors with a one-line error, member lines, event taps for streams.</summary>
internal static class PaletteSupport
{
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public static async Task<object> AskAsync(IActorRef target, object message, string what, CancellationToken cancel, TimeSpan? timeout = null)
    {
        try
        {
            return await target.Ask<object>(message, timeout ?? AskTimeout, cancel);
        }
        catch (AskTimeoutException) { throw new CommandFailedException($"no answer from {what} within {(timeout ?? AskTimeout).TotalSeconds:0}s"); }
    }

    /// <summary>Petabridge.Cmd's member line: <c>address | [roles] | status | unreachable-or-empty | version</c>.</summary>
    public static string MemberLine(Member m, bool unreachable) =>
        $"{m.Address} | [{string.Join(",", m.Roles.Where(r => !r.StartsWith("dc-", StringComparison.Ordinal)).Order(StringComparer.Ordinal))}] | " +
        $"{m.Status.ToString().ToLowerInvariant()} | {(unreachable ? "unreachable" : "")} | {m.AppVersion}";

    public static Address ParseAddress(string text)
    {
        try
        {
            var a = Address.Parse(text);
            if (a.Host is null || a.Port is null) throw new UriFormatException("no host or port");
            return a;
        }
        catch (Exception e) when (e is UriFormatException or ArgumentException or FormatException)
        {
            throw new CommandFailedException($"malformed address '{text}': expected e.g. akka.tcp://nas@127.0.0.1:4053");
        }
    }

    /// <summary>
    /// Runs an actor that hands what it receives to the command (subscribe it in <paramref name="start"/>), and writes
    /// what <paramref name="format"/> makes of each message until the command is cancelled.
    /// </summary>
    public static async Task TapAsync(ActorSystem system, Action<IActorRef> start, Func<object, string?> format, ICommandOutput output,
        CancellationToken cancel)
    {
        var channel = Channel.CreateBounded<object>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
        var tap = system.ActorOf(Props.Create(() => new Tap(channel.Writer)));
        try
        {
            start(tap);
            await foreach (var message in channel.Reader.ReadAllAsync(cancel))
                if (format(message) is { } line) await output.WriteLineAsync(line);
        }
        finally { tap.Tell(PoisonPill.Instance); }
    }

    private sealed class Tap : UntypedActor
    {
        private readonly ChannelWriter<object> _writer;

        public Tap(ChannelWriter<object> writer) => _writer = writer;

        protected override void OnReceive(object message) => _writer.TryWrite(message);

        protected override void PostStop()
        {
            Context.System.EventStream.Unsubscribe(Self);
            if (Context.System.HasExtension<Akka.Cluster.Cluster>()) Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
            _writer.TryComplete();
        }
    }
}
