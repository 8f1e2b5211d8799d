using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>The SSE endpoint on the Redis bus (a real redis-server).</summary>
[Collection("redis")]
public sealed class RedisSseEndpointTests(RedisServerFixture redis) : SseEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
        };
        return HubServer.StartAsync(all);
    }
}
