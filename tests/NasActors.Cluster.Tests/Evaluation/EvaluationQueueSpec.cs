using Akka.Actor;
using Akka.TestKit.Xunit2;
using NasActors.Cluster.Evaluation;
using NasActors.Cluster.Serialization;
using static NasActors.Cluster.Evaluation.EvaluationProtocol;

namespace NasActors.Cluster.Tests.Evaluation;

public sealed class EvaluationQueueSpec() : TestKit(NasSerializer.Hocon)
{
    private static EvaluationJob Job(int id, int attempt = 1) =>
        new("s", id, attempt, "012345", "fmnist-mbconv", 1, TestSpecs.Synthetic().Evaluation, null);

    [Fact]
    public async Task Idle_evaluators_pull_jobs_and_results_reach_the_population()
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromSeconds(30)));
        var population = CreateTestProbe();
        var worker = CreateTestProbe();
        queue.Tell(new RequestWork("w"), worker.Ref);
        queue.Tell(new EnqueueJobs("s", [Job(0), Job(1)]), population.Ref);
        var j = await worker.ExpectMsgAsync<EvaluationJob>();
        Assert.Equal(0, j.JobId);
        queue.Tell(new JobSucceeded("s", 0, 1, j.Architecture, new(1, 0, 0, 0, 0), null, "w"), worker.Ref);
        await population.ExpectMsgAsync<JobSucceeded>();
        Assert.Equal(1, (await worker.ExpectMsgAsync<EvaluationJob>()).JobId); // a result also asks for more
    }

    [Fact]
    public async Task Must_requeue_jobs_of_a_dead_evaluator()
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromSeconds(30)));
        var dying = CreateTestProbe();
        queue.Tell(new RequestWork("dying"), dying.Ref);
        queue.Tell(new EnqueueJobs("s", [Job(7)]), TestActor);
        await dying.ExpectMsgAsync<EvaluationJob>();
        Sys.Stop(dying.Ref);
        var next = CreateTestProbe();
        queue.Tell(new RequestWork("next"), next.Ref);
        Assert.Equal(7, (await next.ExpectMsgAsync<EvaluationJob>()).JobId);
        var stats = await queue.Ask<QueueStats>(GetQueueStats.Instance);
        Assert.Equal(1, stats.Requeued);
    }

    [Fact]
    public async Task Must_requeue_jobs_that_miss_their_deadline()
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromMilliseconds(300)));
        var slow = CreateTestProbe();
        var other = CreateTestProbe();
        queue.Tell(new RequestWork("slow"), slow.Ref);
        queue.Tell(new EnqueueJobs("s", [Job(3)]), TestActor);
        await slow.ExpectMsgAsync<EvaluationJob>();
        queue.Tell(new RequestWork("other"), other.Ref);
        Assert.Equal(3, (await other.ExpectMsgAsync<EvaluationJob>(TimeSpan.FromSeconds(5))).JobId);
    }

    [Fact]
    public async Task A_job_enqueued_twice_is_handed_out_once()
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromSeconds(30)));
        queue.Tell(new EnqueueJobs("s", [Job(1), Job(1)]), TestActor);
        queue.Tell(new EnqueueJobs("s", [Job(1)]), TestActor);
        var stats = await queue.Ask<QueueStats>(GetQueueStats.Instance);
        Assert.Equal(1, stats.Queued);
        queue.Tell(new WithdrawJobs("s"));
        Assert.Equal(0, (await queue.Ask<QueueStats>(GetQueueStats.Instance)).Queued);
    }

    [Fact]
    public async Task An_evaluator_reports_a_stub_failure_as_a_failed_job()
    {
        var queue = CreateTestProbe();
        var evaluator = Sys.ActorOf(EvaluatorActor.Props(queue.Ref, new StubEvaluationBackend()));
        await queue.ExpectMsgAsync<RequestWork>();
        var spec = TestSpecs.Synthetic();
        var job = Job(2) with { Evaluation = spec.Evaluation with { FailArchitectures = ["012345"] } };
        evaluator.Tell(job, queue.Ref);
        var failed = await queue.ExpectMsgAsync<JobFailed>();
        Assert.Contains("stub failure", failed.Reason);
        evaluator.Tell(Job(2), queue.Ref);
        var ok = await queue.ExpectMsgAsync<JobSucceeded>();
        Assert.Equal(StubEvaluationBackend.Score(Job(2)).Accuracy, ok.Metrics.Accuracy);
    }
}
