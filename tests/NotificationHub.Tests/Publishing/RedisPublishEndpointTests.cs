using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>The single publishing API on the Redis bus (a real redis-server).</summary>
[Collection("redis")]
public sealed class RedisPublishEndpointTests(RedisServerFixture redis) : PublishEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync() =>
        HubServer.StartAsync(new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString });
}
