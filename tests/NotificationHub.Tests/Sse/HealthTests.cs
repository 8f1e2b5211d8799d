using System.Net;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

public sealed class HealthTests
{
    [Fact]
    public async Task Embedded_bus_is_live_and_ready()
    {
        await using var server = await HubServer.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/live").Bounded()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/ready").Bounded()).StatusCode);
    }

    [Fact]
    public async Task Node_is_not_ready_while_its_redis_is_down_but_stays_live()
    {
        var redis = new RedisServerFixture();
        await redis.InitializeAsync();
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString });
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/ready").Bounded()).StatusCode);

        await redis.DisposeAsync(); // stops redis-server

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client.GetAsync("health/ready").Bounded()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/live").Bounded()).StatusCode);
    }
}
