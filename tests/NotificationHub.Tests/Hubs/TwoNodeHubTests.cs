using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// Two hub nodes sharing one real redis-server, without a SignalR backplane: delivery is connection-addressed from
/// each node's own bus subscription, so each client gets each event exactly once, and SignalR itself uses no Redis.
/// </summary>
[Collection("redis")]
public sealed class TwoNodeHubTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Two_nodes_on_one_redis_deliver_each_event_once_and_subscribe_no_signalr_channel()
    {
        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString };
        await using var nodeA = await HubServer.StartAsync(settings);
        await using var nodeB = await HubServer.StartAsync(settings);
        Assert.IsType<EnrichmentHubLifetimeManager>(nodeA.Services.GetRequiredService<HubLifetimeManager<EnrichmentHub>>());

        var bom = $"bom-scaled-{Guid.NewGuid():N}";
        var marker = $"bom-marker-{Guid.NewGuid():N}";
        const string tenant = "t";
        foreach (var node in new[] { nodeA, nodeB })
        {
            await node.ClaimAsync(bom, tenant);
            await node.ClaimAsync(marker, tenant);
        }

        // Two clients on node A and one on node B.
        await using var a1 = await HubClient.ConnectAsync(nodeA, nodeA.Token(tenant));
        await using var a2 = await HubClient.ConnectAsync(nodeA, nodeA.Token(tenant), messagePack: true);
        await using var b1 = await HubClient.ConnectAsync(nodeB, nodeB.Token(tenant));
        foreach (var client in new[] { a1, a2, b1 })
        {
            await client.SubscribeAsync(bom);
        }

        var ids = new List<string?>
        {
            (await nodeA.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId,
            (await nodeA.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 1)).EventId,
            (await nodeA.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3)).EventId,
        };

        foreach (var client in new[] { a1, a2 })
        {
            Assert.Equal([.. ids, null], (await client.ReadUntilStreamEndAsync()).Select(e => e.Id));

            // A marker published after the run: whatever arrives before it would be a duplicate.
            await client.SubscribeAsync(marker);
        }

        var markerId = (await nodeA.PublishAsync(marker, tenant, EnrichmentEventNames.Started)).EventId;
        foreach (var client in new[] { a1, a2 })
        {
            var next = await client.NextAsync();
            Assert.Equal((marker, markerId), (next.BomId, next.Id));
        }

        // Node B's client gets the run through node B's own subscription to the shared Redis bus: exactly once.
        await b1.SubscribeAsync(marker);
        var bMarker = (await nodeB.PublishAsync(marker, tenant, EnrichmentEventNames.Started)).EventId;
        var bReceived = new List<WireEvent>();
        while (await b1.NextAsync() is var next && next.BomId != marker)
        {
            bReceived.Add(next);
        }

        Assert.Equal([.. ids, null], bReceived.Select(e => e.Id));
        Assert.NotNull(bMarker);

        // The only channels on Redis are the bus's (a SignalR backplane subscribed "notificationhub-signalr*" ones).
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var channels = (RedisResult[])(await mux.GetServers()[0].ExecuteAsync("PUBSUB", "CHANNELS", "*"))!;
        Assert.NotEmpty(channels);
        Assert.All(channels, c => Assert.DoesNotContain("signalr", (string)c!, StringComparison.OrdinalIgnoreCase));
    }
}
