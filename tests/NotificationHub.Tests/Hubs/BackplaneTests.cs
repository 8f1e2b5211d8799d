using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// Two hub nodes sharing one real redis-server as the SignalR backplane. Delivery is connection-addressed from each
/// node's own bus subscription, so the backplane must never duplicate an event.
/// </summary>
[Collection("redis")]
public sealed class BackplaneTests(RedisServerFixture redis)
{
    [Fact]
    public async Task With_the_backplane_on_each_client_gets_each_event_once()
    {
        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString };
        await using var nodeA = await HubServer.StartAsync(settings);
        await using var nodeB = await HubServer.StartAsync(settings);
        // The node's manager decorates the backplane's (it records local connections for pre-serialized writes).
        var manager = Assert.IsType<TrackingHubLifetimeManager<EnrichmentHub>>(nodeA.Services.GetRequiredService<HubLifetimeManager<EnrichmentHub>>());
        Assert.IsType<RedisHubLifetimeManager<EnrichmentHub>>(manager.Inner);

        var bom = $"bom-scaled-{Guid.NewGuid():N}";
        var marker = $"bom-marker-{Guid.NewGuid():N}";
        const string tenant = "t";
        foreach (var node in new[] { nodeA, nodeB })
        {
            await node.ClaimAsync(bom, tenant);
            await node.ClaimAsync(marker, tenant);
        }

        // Two clients on node A and one on node B, all in the BOM's group (which spans both nodes through Redis).
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
    }
}
