using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hubs;

/// <summary>
/// Two hub nodes sharing one real redis-server, with the SignalR Redis backplane: events reach each connection from
/// its own node's bus subscription, exactly once; only <see cref="BomWatchers"/>' notices cross the backplane.
/// </summary>
[Collection("redis")]
public sealed class TwoNodeHubTests(RedisServerFixture redis)
{
    /// <summary>SignalR names its Redis channels after the hub type.</summary>
    private static readonly string BackplanePrefix = typeof(EnrichmentHub).FullName + ":";

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Events_arrive_once_on_both_nodes_and_only_notices_of_watched_boms_cross_the_backplane()
    {
        // Everything SignalR publishes on Redis, in order (one subscriber connection).
        await using var observer = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var backplaneMessages = new ConcurrentQueue<string>();
        (await observer.GetSubscriber().SubscribeAsync(RedisChannel.Pattern(BackplanePrefix + "*")))
            .OnMessage(message => backplaneMessages.Enqueue((string)message.Channel!));

        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString };
        await using var nodeA = await HubServer.StartAsync(settings);
        await using var nodeB = await HubServer.StartAsync(settings);
        Assert.IsType<RedisEnrichmentHubLifetimeManager>(nodeA.Services.GetRequiredService<HubLifetimeManager<EnrichmentHub>>());

        var bom = $"bom-scaled-{Guid.NewGuid():N}";
        var marker = $"bom-marker-{Guid.NewGuid():N}";
        var unrelated = $"bom-unrelated-{Guid.NewGuid():N}";
        const string tenant = "t";
        foreach (var node in new[] { nodeA, nodeB })
        {
            await node.ClaimAsync(bom, tenant);
            await node.ClaimAsync(marker, tenant);
            await node.ClaimAsync(unrelated, tenant);
        }

        // Two clients on node A and one on node B watch the BOM; one more on node B watches another BOM only.
        await using var a1 = await HubClient.ConnectAsync(nodeA, nodeA.Token(tenant));
        await using var a2 = await HubClient.ConnectAsync(nodeA, nodeA.Token(tenant), messagePack: true);
        await using var b1 = await HubClient.ConnectAsync(nodeB, nodeB.Token(tenant));
        await using var b2 = await HubClient.ConnectAsync(nodeB, nodeB.Token(tenant), messagePack: true);
        foreach (var client in new[] { a1, a2, b1 })
        {
            await client.SubscribeAsync(bom);
        }

        await b2.SubscribeAsync(unrelated);

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

        // A notice sent on node A reaches the marker's watchers on node A and on node B, and not node B's other client.
        var watchers = nodeA.Services.GetRequiredService<BomWatchers>();
        await watchers.SendAsync(new BomNotice { BomId = marker, Kind = "export_ready", Message = "The export is ready." });
        foreach (var client in new[] { a1, a2, b1 })
        {
            var notice = await client.NextNoticeAsync();
            Assert.Equal((marker, "export_ready", "The export is ready."),
                (notice.GetProperty("bom_id").GetString(), notice.GetProperty("kind").GetString(), notice.GetProperty("message").GetString()));
        }

        await watchers.SendAsync(new BomNotice { BomId = unrelated, Kind = "marker" });
        Assert.Equal(unrelated, (await b2.NextNoticeAsync()).GetProperty("bom_id").GetString()); // the first it got
        Assert.False(a1.TryReadNotice(out _) || a2.TryReadNotice(out _) || b1.TryReadNotice(out _));

        // The backplane carried the two notices and nothing else: no event, not once.
        string[] expected = [$"{BackplanePrefix}group:{BomWatchers.GroupName(marker)}", $"{BackplanePrefix}group:{BomWatchers.GroupName(unrelated)}"];
        await WaitUntilAsync(() => Task.FromResult(backplaneMessages.Count >= 2), "the observer got both notices");
        Assert.Equal(expected, backplaneMessages);

        // The group channels on Redis are those of watched BOMs: the finished BOM's was dropped when its streams ended.
        var server = observer.GetServers()[0];
        await WaitUntilAsync(async () =>
        {
            var channels = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "CHANNELS", BackplanePrefix + "group:*"))!;
            return channels.Select(c => (string)c!).Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal));
        }, "only the watched BOMs' group channels are subscribed");
    }

    [Fact]
    public async Task A_group_join_that_redis_refuses_is_logged_once_and_the_bom_events_still_arrive()
    {
        // A Redis that lets the hub use every channel but the backplane's group channels: every group join fails.
        await using var server = await PrivateRedisServer.StartAsync(persistent: false);
        await using (var admin = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            await admin.GetServers()[0].ExecuteAsync("ACL", "SETUSER", "default", "resetchannels", "&enrichment:*",
                $"&{BackplanePrefix}all", $"&{BackplanePrefix}internal:*", $"&{BackplanePrefix}connection:*", $"&{BackplanePrefix}user:*");
        }

        var log = new CapturingLoggerProvider();
        await using var node = await HubServer.StartAsync(
            new Dictionary<string, string?> { ["Redis:ConnectionString"] = server.ConnectionString },
            configure: builder => builder.Logging.AddProvider(log));
        var bom = $"bom-refused-join-{Guid.NewGuid():N}";
        const string tenant = "t";
        await node.ClaimAsync(bom, tenant);

        await using var client = await HubClient.ConnectAsync(node, node.Token(tenant));
        await client.SubscribeAsync(bom);
        var ids = new List<string?>
        {
            (await node.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId,
            (await node.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3)).EventId,
        };

        Assert.Equal([.. ids, null], (await client.ReadUntilStreamEndAsync()).Select(e => e.Id));
        var failures = log.Entries.Where(e => e.EventId.Id == 311).ToList();
        var failure = Assert.Single(failures, e => e.Message.Contains(" join ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, failure.Level);
        Assert.Contains(bom, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Error);
    }
}
