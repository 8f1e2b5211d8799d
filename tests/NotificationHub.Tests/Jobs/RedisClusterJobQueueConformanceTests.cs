using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Jobs;
using NotificationHub.Jobs.Redis;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Jobs;

/// <summary>
/// The job queue conformance suite against a real Redis Cluster (3 masters, 3 replicas): the queue's multi-key scripts
/// only work there because every queue key carries the prefix's hash tag (one slot).
/// </summary>
[Collection("redis-cluster")]
public sealed class RedisClusterJobQueueConformanceTests(RedisClusterFixture cluster) : JobQueueConformanceTests
{
    // Unique per test (xunit makes an instance per test); the default prefix's shape: one hash tag for every key.
    private readonly string _keyPrefix = $"{{test:jobs:{Guid.NewGuid():N}}}:";

    protected override IJobQueue CreateQueue() =>
        new RedisJobQueue(cluster.Redis, Options.Create(new RedisJobQueueOptions
        {
            KeyPrefix = _keyPrefix,
            ClaimIdleTime = TimeSpan.FromSeconds(30),
            PollInterval = TimeSpan.FromMilliseconds(20),
        }), TimeProvider.System, NullLogger<RedisJobQueue>.Instance);
}
