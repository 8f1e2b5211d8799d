using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Jobs;
using NotificationHub.Jobs.Redis;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Jobs;

/// <summary>The job queue conformance suite against a real Redis, plus what only a shared queue can do.</summary>
[Collection("redis")]
public sealed class RedisJobQueueConformanceTests(RedisServerFixture redis) : JobQueueConformanceTests
{
    // Unique per test (xunit makes an instance per test): its own stream, group and keys.
    private readonly string _keyPrefix = $"{{test:jobs:{Guid.NewGuid():N}}}:";

    protected override IJobQueue CreateQueue() => CreateQueue(TimeSpan.FromSeconds(30));

    private RedisJobQueue CreateQueue(TimeSpan claimIdleTime) =>
        new(redis.Redis, Options.Create(new RedisJobQueueOptions
        {
            KeyPrefix = _keyPrefix,
            ClaimIdleTime = claimIdleTime,
            PollInterval = TimeSpan.FromMilliseconds(20),
        }), TimeProvider.System, NullLogger<RedisJobQueue>.Instance);

    [Fact]
    public async Task A_stalled_worker_loses_its_job_to_another_and_cannot_checkpoint_any_more()
    {
        // The stalled worker refreshes its entry only every 10 s; the other takes entries idle for 300 ms.
        var stalled = CreateQueue(TimeSpan.FromSeconds(30));
        var other = CreateQueue(TimeSpan.FromMilliseconds(300));
        var job = NewJob();
        await stalled.EnqueueAsync(job, Nothing).Bounded();
        await using var zombie = await DequeueAsync(stalled);
        await zombie.SaveCheckpointAsync(new JobCheckpoint(1, 1, 0)).AsTask().Bounded();

        await using var successor = await DequeueAsync(other);
        Assert.True(successor.IsTakeover);
        Assert.Equal(new JobCheckpoint(1, 1, 0), successor.Checkpoint);

        await Assert.ThrowsAsync<JobLeaseLostException>(() => zombie.SaveCheckpointAsync(new JobCheckpoint(2, 2, 0)).AsTask()).Bounded();
        await successor.SaveCheckpointAsync(new JobCheckpoint(2, 1, 1)).AsTask().Bounded();
        await successor.CompleteAsync().AsTask().Bounded();
        Assert.True((await other.EnqueueAsync(NewJob(job.BomId), Nothing).Bounded()).Enqueued);
    }

    [Fact]
    public async Task An_unreachable_redis_is_reported_as_queue_unavailable()
    {
        await using var nowhere = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
            "127.0.0.1:1,abortConnect=false,connectTimeout=200,asyncTimeout=500");
        var queue = new RedisJobQueue(nowhere, Options.Create(new RedisJobQueueOptions { KeyPrefix = _keyPrefix }),
            TimeProvider.System, NullLogger<RedisJobQueue>.Instance);

        await Assert.ThrowsAsync<JobQueueUnavailableException>(() => queue.EnqueueAsync(NewJob(), Nothing).AsTask()).Bounded();
        await Assert.ThrowsAsync<JobQueueUnavailableException>(() => queue.CancelAsync("bom-1").AsTask()).Bounded();
    }
}
