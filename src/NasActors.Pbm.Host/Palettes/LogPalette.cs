using Akka.Actor;
using Akka.Event;
using static NasActors.Pbm.Host.Palettes.PaletteSupport;

namespace NasActors.Pbm.Host.Palettes;

/// <summary>The <c>log</c> palette: the node's recent log lines (those akka.loglevel lets through), kept in memory.</summary>
public static class LogPalette
{
    public const int Capacity = 1000;

    public static CommandPalette Create(ExtendedActorSystem system)
    {
        var recent = system.SystemActorOf(Props.Create(() => new RecentLog(Capacity)), "pbm-recent-log");
        // Subscribed here, not in PreStart: PreStart runs later on a dispatcher thread, and the lines logged meanwhile
        // (the node joining its cluster, say) would be missing from `log peek`.
        system.EventStream.Subscribe(recent, typeof(LogEvent));
        return new CommandPalette("log", "this node's log")
            .Command("peek", "the last N log lines", async (r, output, cancel) =>
            {
                var n = r.Int("lines", 1, Capacity);
                if (await AskAsync(recent, new RecentLog.Peek(n), "the log buffer", cancel) is RecentLog.Lines lines)
                    foreach (var line in lines.Text) await output.WriteLineAsync(line);
            }, CommandPalette.Switch("lines", "n", $"how many (1-{Capacity})", defaultValue: "50"))
            .Stream("tail", "log lines as they are written", (r, output, cancel) => TapAsync(r.System,
                tap => r.System.EventStream.Subscribe(tap, typeof(LogEvent)), e => e is LogEvent l ? RecentLog.Format(l) : null, output, cancel));
    }

    /// <summary>Keeps the last N log events of the event stream.</summary>
    private sealed class RecentLog : ReceiveActor
    {
        public sealed record Peek(int Count);
        public sealed record Lines(IReadOnlyList<string> Text);

        private readonly Queue<string> _lines = new();

        public RecentLog(int capacity)
        {
            Receive<LogEvent>(e =>
            {
                if (e.LogLevel() < Context.System.EventStream.LogLevel) return; // some sources publish below akka.loglevel
                _lines.Enqueue(Format(e));
                while (_lines.Count > capacity) _lines.Dequeue();
            });
            Receive<Peek>(p => Sender.Tell(new Lines(_lines.Skip(Math.Max(0, _lines.Count - p.Count)).ToArray())));
        }

        public static string Format(LogEvent e) =>
            $"[{e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToUpperInvariant()}][{e.Timestamp:yyyy-MM-dd HH:mm:ss.fff}][{e.LogSource}] {e.Message}" +
            (e.Cause is null ? "" : $" ({e.Cause.GetType().Name}: {e.Cause.Message})");
    }
}
