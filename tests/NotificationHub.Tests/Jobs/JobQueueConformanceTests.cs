using NotificationHub.Jobs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Jobs;

/// <summary>
/// Behaviour every <see cref="IJobQueue"/> must have (the embedded one and the Redis one), run through a subclass
/// per implementation, like the bus conformance suite.
/// </summary>
public abstract class JobQueueConformanceTests
{
    private static readonly LineItem[] Items = [new() { Mpn = "LM358DR" }, new() { Mpn = "NE555P" }, new() { Mpn = "BC547B" }];

    /// <summary>A queue; queues made by one test instance share their store.</summary>
    protected abstract IJobQueue CreateQueue();

    protected static EnrichmentJob NewJob(string? bomId = null) =>
        new(Guid.NewGuid().ToString("N"), bomId ?? $"bom-{Guid.NewGuid():N}", "acme", Items);

    protected static ValueTask Nothing(CancellationToken _) => ValueTask.CompletedTask;

    protected static Task<IJobLease> DequeueAsync(IJobQueue queue) =>
        queue.DequeueAsync(CancellationToken.None).Bounded();

    [Fact]
    public async Task A_job_is_invisible_to_workers_until_its_started_was_published()
    {
        var queue = CreateQueue();
        var job = NewJob();
        var seenWhileReserved = false;
        var result = await queue.EnqueueAsync(job, async _ =>
        {
            using var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await queue.DequeueAsync(shortWait.Token);
                seenWhileReserved = true;
            }
            catch (OperationCanceledException)
            {
                // Expected: nothing to take yet.
            }
        }).Bounded();

        Assert.True(result.Enqueued);
        Assert.False(seenWhileReserved);
        await using var lease = await DequeueAsync(queue);
        Assert.Equal(job.JobId, lease.Job.JobId);
        Assert.Equal(job.Items, lease.Job.Items);
        Assert.Equal(JobCheckpoint.None, lease.Checkpoint);
        Assert.False(lease.IsTakeover);
    }

    [Fact]
    public async Task A_second_start_of_a_busy_bom_is_refused_with_the_active_job_id()
    {
        var queue = CreateQueue();
        var first = NewJob();
        Assert.True((await queue.EnqueueAsync(first, Nothing).Bounded()).Enqueued);

        var calledAgain = false;
        var second = await queue.EnqueueAsync(NewJob(first.BomId), _ => { calledAgain = true; return ValueTask.CompletedTask; }).Bounded();

        Assert.False(second.Enqueued);
        Assert.Equal(first.JobId, second.ActiveJobId);
        Assert.False(calledAgain);
    }

    [Fact]
    public async Task A_failed_started_publish_frees_the_bom()
    {
        var queue = CreateQueue();
        var job = NewJob();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            queue.EnqueueAsync(job, _ => throw new InvalidOperationException("bus down")).AsTask()).Bounded();

        var again = await queue.EnqueueAsync(NewJob(job.BomId), Nothing).Bounded();
        Assert.True(again.Enqueued);
    }

    [Fact]
    public async Task A_completed_job_frees_the_bom_and_its_items_stay_for_a_rerun()
    {
        var queue = CreateQueue();
        var job = NewJob();
        Assert.Null(await queue.GetLastItemsAsync(job.BomId).Bounded());
        await queue.EnqueueAsync(job, Nothing).Bounded();
        await using (var lease = await DequeueAsync(queue))
        {
            await lease.CompleteAsync().AsTask().Bounded();
        }

        Assert.Equal(Items, await queue.GetLastItemsAsync(job.BomId).Bounded());
        Assert.True((await queue.EnqueueAsync(NewJob(job.BomId), Nothing).Bounded()).Enqueued);
        Assert.Null(await queue.CancelAsync($"bom-{Guid.NewGuid():N}").Bounded());
    }

    [Fact]
    public async Task Cancel_reaches_the_running_job_by_its_next_checkpoint()
    {
        var queue = CreateQueue();
        var job = NewJob();
        await queue.EnqueueAsync(job, Nothing).Bounded();
        await using var lease = await DequeueAsync(queue);
        Assert.False(lease.CancellationRequested.IsCancellationRequested);

        Assert.Equal(job.JobId, await queue.CancelAsync(job.BomId).Bounded());
        await lease.SaveCheckpointAsync(new JobCheckpoint(1, 1, 0)).AsTask().Bounded();

        Assert.True(lease.CancellationRequested.IsCancellationRequested);
    }

    [Fact]
    public async Task A_job_cancelled_while_queued_is_dequeued_already_cancelled()
    {
        var queue = CreateQueue();
        var job = NewJob();
        await queue.EnqueueAsync(job, Nothing).Bounded();
        Assert.Equal(job.JobId, await queue.CancelAsync(job.BomId).Bounded());

        await using var lease = await DequeueAsync(queue);
        Assert.True(lease.CancellationRequested.IsCancellationRequested);
    }

    [Fact]
    public async Task A_job_given_back_unfinished_resumes_from_its_checkpoint()
    {
        var queue = CreateQueue();
        var job = NewJob();
        await queue.EnqueueAsync(job, Nothing).Bounded();
        await using (var first = await DequeueAsync(queue))
        {
            await first.SaveCheckpointAsync(new JobCheckpoint(2, 1, 1)).AsTask().Bounded();
        }

        // Another worker (another queue instance on the same store) takes it over.
        await using var second = await DequeueAsync(CreateQueue());
        Assert.Equal(job.JobId, second.Job.JobId);
        Assert.True(second.IsTakeover);
        Assert.Equal(new JobCheckpoint(2, 1, 1), second.Checkpoint);
    }
}
