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

    [Fact]
    public async Task A_stalled_redis_leaves_the_node_ready_as_degraded_for_the_grace_then_unready()
    {
        await using var redis = await PrivateRedisServer.StartAsync(persistent: false);
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString });
        Assert.Equal("Healthy", await (await server.Client.GetAsync("health/ready").Bounded()).Content.ReadAsStringAsync());

        await redis.PauseAsync(); // SIGSTOP: the connection stays, nothing answers (as a master on a saturated host)
        try
        {
            // The first probe's ping times out (2 s) within the grace of the answer just before: still 200.
            using var first = await server.Client.GetAsync("health/ready").Bounded();
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal("Degraded", await first.Content.ReadAsStringAsync());

            // Then unready, once the grace has passed without an answer.
            await Eventually.WaitUntilAsync(async () =>
                (await server.Client.GetAsync("health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, "the stalled node is unready");
        }
        finally
        {
            await redis.ResumeAsync();
        }

        await Eventually.WaitUntilAsync(async () =>
            (await server.Client.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK, "the node is ready again");
    }
}
