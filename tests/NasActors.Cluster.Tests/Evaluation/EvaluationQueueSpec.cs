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

    [Fact]
    public async Task A_leaving_evaluator_hands_its_job_back_and_gets_no_more_work()
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromMinutes(10)));
        var leaving = CreateTestProbe();
        queue.Tell(new RequestWork("leaving"), leaving.Ref);
        queue.Tell(new EnqueueJobs("s", [Job(5), Job(6)]), TestActor);
        var held = await leaving.ExpectMsgAsync<EvaluationJob>();
        queue.Tell(new HandBackJobs("leaving", [held]), leaving.Ref);
        Assert.Equal(1, (await leaving.ExpectMsgAsync<JobsHandedBack>()).Jobs);
        var stats = await queue.Ask<QueueStats>(GetQueueStats.Instance);
        Assert.Equal((2, 0, 1), (stats.Queued, stats.InFlight, stats.Requeued)); // back in the queue at once, no deadline waited for
        var next = CreateTestProbe();
        queue.Tell(new RequestWork("next"), next.Ref);
        Assert.Equal(held.JobId, (await next.ExpectMsgAsync<EvaluationJob>()).JobId); // the handed-back job first
        await leaving.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task A_repeated_request_from_a_busy_evaluator_does_not_give_it_a_second_job()
    {
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromMinutes(10)));
        var worker = CreateTestProbe();
        queue.Tell(new RequestWork("w"), worker.Ref);
        queue.Tell(new EnqueueJobs("s", [Job(1), Job(2)]), TestActor);
        await worker.ExpectMsgAsync<EvaluationJob>();
        queue.Tell(new RequestWork("w"), worker.Ref); // a poll sent before the job arrived
        await worker.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, (await queue.Ask<QueueStats>(GetQueueStats.Instance)).Queued);
    }

    [Fact]
    public async Task Results_go_through_the_search_region_when_the_queue_has_one()
    {
        var region = CreateTestProbe();
        var queue = Sys.ActorOf(EvaluationQueue.Props(TimeSpan.FromMinutes(10), region.Ref));
        var worker = CreateTestProbe();
        queue.Tell(new RequestWork("w"), worker.Ref);
        queue.Tell(new EnqueueJobs("s", [Job(0)]), TestActor);
        var j = await worker.ExpectMsgAsync<EvaluationJob>();
        queue.Tell(new JobSucceeded("s", 0, 1, j.Architecture, new(1, 0, 0, 0, 0), null, "w"), worker.Ref);
        Assert.Equal(0, (await region.ExpectMsgAsync<JobSucceeded>()).JobId);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // not to the enqueuer
    }

    [Fact]
    public async Task An_idle_evaluator_asks_again_until_a_queue_answers()
    {
        var queue = CreateTestProbe();
        Sys.ActorOf(EvaluatorActor.Props(queue.Ref, new StubEvaluationBackend(), "node:1/evaluator-0", TimeSpan.FromMilliseconds(100)));
        for (var i = 0; i < 3; i++) Assert.Equal("node:1/evaluator-0", (await queue.ExpectMsgAsync<RequestWork>()).Evaluator);
    }

    [Fact]
    public async Task A_leaving_evaluator_hands_back_the_job_it_holds()
    {
        var queue = CreateTestProbe();
        var evaluator = Sys.ActorOf(EvaluatorActor.Props(queue.Ref, new StubEvaluationBackend(), "e", TimeSpan.FromMinutes(1)));
        await queue.ExpectMsgAsync<RequestWork>();
        var slow = Job(4) with { Evaluation = TestSpecs.Synthetic().Evaluation with { StubCost = TimeSpan.FromMinutes(5) } };
        evaluator.Tell(slow, queue.Ref);
        var left = await evaluator.Ask<EvaluatorActor.Left>(EvaluatorActor.LeaveGracefully.Instance);
        Assert.Equal(1, left.JobsHandedBack);
        var back = await queue.ExpectMsgAsync<HandBackJobs>();
        Assert.Equal(4, Assert.Single(back.Jobs).JobId);
        evaluator.Tell(Job(5), queue.Ref); // a job that crossed the leave goes straight back
        Assert.Equal(5, Assert.Single((await queue.ExpectMsgAsync<HandBackJobs>()).Jobs).JobId);
        await queue.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
    }
}
