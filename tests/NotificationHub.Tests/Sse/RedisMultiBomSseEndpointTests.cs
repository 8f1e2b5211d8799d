using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>The multi-BOM SSE stream on the Redis bus (a real redis-server).</summary>
[Collection("redis")]
public sealed class RedisMultiBomSseEndpointTests(RedisServerFixture redis) : MultiBomSseEndpointTests
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
