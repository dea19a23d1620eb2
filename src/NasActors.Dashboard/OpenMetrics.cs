using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using NasActors.Cluster.Hosting;

namespace NasActors.Dashboard;

/// <summary>
/// Job durations recorded on <see cref="NasMetrics.JobDuration"/> by this node's evaluators, as cumulative histograms
/// per search and outcome (what /metrics reports).
/// </summary>
public sealed class JobDurationHistogram : IDisposable
{
    public static readonly double[] Bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    public sealed class Series
    {
        public readonly long[] Buckets = new long[Bounds.Length];
        public long Count;
        public double Sum;
    }

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Search, string Outcome), Series> _series = new();

    public JobDurationHistogram()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // By name: the instrument may be published while NasMetrics is still being initialized (its field not yet set).
            if (instrument.Meter.Name == NasMetrics.MeterName && instrument.Name == NasMetrics.JobDurationName) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string search = "", outcome = "";
            foreach (var t in tags)
            {
                if (t.Key == "search") search = t.Value as string ?? "";
                else if (t.Key == "outcome") outcome = t.Value as string ?? "";
            }
            var s = _series.GetOrAdd((search, outcome), _ => new Series());
            lock (s)
            {
                for (var i = 0; i < Bounds.Length; i++) if (value <= Bounds[i]) s.Buckets[i]++;
                s.Count++;
                s.Sum += value;
            }
        });
        _listener.Start();
    }

    public IReadOnlyList<(string Search, string Outcome, long[] Buckets, long Count, double Sum)> Snapshot() =>
        _series.OrderBy(p => p.Key.Search, StringComparer.Ordinal).ThenBy(p => p.Key.Outcome, StringComparer.Ordinal).Select(p =>
        {
            lock (p.Value) return (p.Key.Search, p.Key.Outcome, p.Value.Buckets.ToArray(), p.Value.Count, p.Value.Sum);
        }).ToArray();

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// Writes metric families in the OpenMetrics text format (which Prometheus scrapes; <c>application/openmetrics-text</c>),
/// or in the Prometheus text format 0.0.4 for clients that do not ask for OpenMetrics (counters then carry their
/// <c>_total</c> name in the TYPE line and there is no <c># EOF</c>).
/// </summary>
public sealed class OpenMetricsWriter(bool openMetrics)
{
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    public const string PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    public string ContentType => openMetrics ? OpenMetricsContentType : PrometheusContentType;

    /// <summary>Starts a family: <paramref name="type"/> counter, gauge or histogram; samples follow with <see cref="Sample"/>.</summary>
    public OpenMetricsWriter Family(string name, string type, string help, string? unit = null)
    {
        var typeName = type == "counter" && !openMetrics ? name + "_total" : name;
        _text.Append("# TYPE ").Append(typeName).Append(' ').Append(type).Append('\n');
        if (openMetrics && unit is not null) _text.Append("# UNIT ").Append(name).Append(' ').Append(unit).Append('\n');
        _text.Append("# HELP ").Append(typeName).Append(' ').Append(Escape(help, label: false)).Append('\n');
        return this;
    }

    public OpenMetricsWriter Sample(string name, double value, params (string Key, string Value)[] labels)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                if (i > 0) _text.Append(',');
                _text.Append(labels[i].Key).Append("=\"").Append(Escape(labels[i].Value, label: true)).Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(Number(value)).Append('\n');
        return this;
    }

    public override string ToString() => openMetrics ? _text + "# EOF\n" : _text.ToString();

    private static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    public static string Bound(double v) => double.IsPositiveInfinity(v) ? "+Inf" : v.ToString("R", CultureInfo.InvariantCulture);

    private static string Escape(string s, bool label)
    {
        var e = s.Replace("\\", "\\\\").Replace("\n", "\\n");
        return label ? e.Replace("\"", "\\\"") : e;
    }
}
