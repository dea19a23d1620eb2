using Akka.Actor;
using NasActors.Cluster.Searches;

namespace NasActors.Dashboard;

/// <summary>
/// /metrics: per search (evaluations, evaluations/s, trainer images/s and step, journal write failures, job durations of
/// this node's evaluators) and per node (queue depth, jobs in flight, re-queued jobs, jobs done per evaluator node).
/// Every sample carries the serving node (<c>node</c>), so several nodes scraped side by side stay apart.
/// </summary>
public static class DashboardMetrics
{
    public static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(60);

    public static async Task<OpenMetricsWriter> WriteAsync(OpenMetricsWriter w, ActorSystem system, DashboardFeed feed, DashboardQueries queries,
        JobDurationHistogram jobs, CancellationToken cancel)
    {
        var node = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        var active = await queries.ActiveAsync(cancel);
        var statuses = new List<(string Id, SearchReplies.SearchStatus S)>();
        foreach (var s in active) statuses.Add((s.SearchId, await queries.StatusAsync(s.SearchId, cancel)));

        w.Family("nas_evaluations", "counter", "Evaluations recorded (successes and final failures) of each unfinished search.");
        foreach (var (id, s) in statuses) w.Sample("nas_evaluations_total", s.Evaluated + s.Failed, ("node", node), ("search", id));
        w.Family("nas_evaluations_failed", "counter", "Evaluations recorded as failed of each unfinished search.");
        foreach (var (id, s) in statuses) w.Sample("nas_evaluations_failed_total", s.Failed, ("node", node), ("search", id));
        w.Family("nas_search_budget", "gauge", "Evaluations a search may spend.");
        foreach (var (id, s) in statuses) w.Sample("nas_search_budget", s.Budget, ("node", node), ("search", id));
        w.Family("nas_search_pending_jobs", "gauge", "Jobs of a search proposed and not yet recorded.");
        foreach (var (id, s) in statuses) w.Sample("nas_search_pending_jobs", s.Pending, ("node", node), ("search", id));
        w.Family("nas_evaluations_per_second", "gauge", $"Evaluations recorded per second over the last {RateWindow.TotalSeconds:0} s, as this node saw them.");
        foreach (var (id, _) in statuses) w.Sample("nas_evaluations_per_second", feed.EvaluationsPerSecond(id, RateWindow), ("node", node), ("search", id));

        var queue = await queries.QueueAsync(cancel);
        if (queue is not null)
        {
            w.Family("nas_queue_depth", "gauge", "Jobs waiting in the evaluation queue (the cluster's singleton).");
            w.Sample("nas_queue_depth", queue.Queued, ("node", node));
            w.Family("nas_jobs_in_flight", "gauge", "Jobs handed to evaluators and not yet answered.");
            w.Sample("nas_jobs_in_flight", queue.InFlight, ("node", node));
            w.Family("nas_evaluators", "gauge", "Evaluators the queue knows (idle ones too).");
            w.Sample("nas_evaluators", queue.Evaluators, ("node", node));
            w.Family("nas_jobs_requeued", "counter", "Jobs put back in the queue (evaluator died or left, deadline passed) since the queue started.");
            w.Sample("nas_jobs_requeued_total", queue.Requeued, ("node", node));
        }
        var evaluators = await queries.EvaluatorsAsync(cancel);
        w.Family("nas_evaluator_jobs", "counter", "Jobs done by the evaluators of each node, as the queue counted them.");
        foreach (var g in evaluators.GroupBy(e => e.Node).OrderBy(g => g.Key, StringComparer.Ordinal))
            w.Sample("nas_evaluator_jobs_total", g.Sum(e => e.JobsDone), ("node", node), ("evaluator_node", g.Key));

        w.Family("nas_job_duration_seconds", "histogram", "Time this node's evaluators spent on a job.", unit: "seconds");
        foreach (var (search, outcome, buckets, count, sum) in jobs.Snapshot())
        {
            for (var i = 0; i < buckets.Length; i++)
                w.Sample("nas_job_duration_seconds_bucket", buckets[i], ("node", node), ("search", search), ("outcome", outcome),
                    ("le", OpenMetricsWriter.Bound(JobDurationHistogram.Bounds[i])));
            w.Sample("nas_job_duration_seconds_bucket", count, ("node", node), ("search", search), ("outcome", outcome), ("le", "+Inf"));
            w.Sample("nas_job_duration_seconds_count", count, ("node", node), ("search", search), ("outcome", outcome));
            w.Sample("nas_job_duration_seconds_sum", sum, ("node", node), ("search", search), ("outcome", outcome));
        }

        var training = feed.LastTrainings().OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        w.Family("nas_trainer_images_per_second", "gauge", "Supernet training throughput last reported to this node's populations.");
        foreach (var (id, p) in training) w.Sample("nas_trainer_images_per_second", p.ImagesPerSecond, ("node", node), ("search", id));
        w.Family("nas_trainer_step", "gauge", "Supernet training step last reported to this node's populations.");
        foreach (var (id, p) in training) w.Sample("nas_trainer_step", p.Step, ("node", node), ("search", id));

        w.Family("nas_journal_write_failures", "counter", "Journal writes of a search that failed or were rejected on this node since it started.");
        foreach (var (id, n) in feed.JournalFailures.OrderBy(p => p.Key, StringComparer.Ordinal))
            w.Sample("nas_journal_write_failures_total", n, ("node", node), ("search", id));
        return w;
    }
}
