using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Bus;

/// <summary>The conformance suite against a real Redis Cluster (3 masters, 3 replicas), with sharded pub/sub (auto-detected).</summary>
[Collection("redis-cluster")]
public sealed class RedisClusterEventBusConformanceTests(RedisClusterFixture cluster) : EventBusConformanceTests
{
    // Unique per test class instance (xunit makes one per test), so tests never share keys.
    private readonly string _keyPrefix = $"test:{Guid.NewGuid():N}:";

    protected override IEventBusBackend CreateBackend(EventBusOptions options)
    {
        var backend = new RedisEventBusBackend(cluster.Redis, Options.Create(new RedisBusOptions
            {
                KeyPrefix = _keyPrefix,
                ReplicaAckTimeout = TimeSpan.FromSeconds(5), // the replica WAIT stays on; generous for a loaded test host
            }),
            Options.Create(options), NullLogger<RedisEventBusBackend>.Instance);
        Assert.True(backend.IsSharded, "A cluster uses sharded pub/sub by default.");
        return backend;
    }
}
