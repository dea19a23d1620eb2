using System.Diagnostics.Metrics;

namespace NasActors.Cluster.Hosting;

/// <summary>
/// The node's measurements that no actor keeps (System.Diagnostics.Metrics: read by the dashboard's /metrics, or any
/// MeterListener / OpenTelemetry exporter).
/// </summary>
public static class NasMetrics
{
    public const string MeterName = "NasActors";
    public const string JobDurationName = "nas.job.duration";

    public static readonly Meter Meter = new(MeterName);

    /// <summary>Seconds an evaluator of this node spent on a job (success or failure), tagged with the search.</summary>
    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>(JobDurationName, "s",
        "time an evaluator of this node spent on one job");

    public static void RecordJob(string searchId, bool failed, double milliseconds) =>
        JobDuration.Record(milliseconds / 1000, new KeyValuePair<string, object?>("search", searchId),
            new KeyValuePair<string, object?>("outcome", failed ? "failed" : "succeeded"));
}
