using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// Redis goes away under a running hub: clients stay connected, the node reports not ready, publishing fails fast
/// with 503, and once Redis is back the bus re-reads from the replay log whatever its subscriptions missed.
/// </summary>
public sealed class RedisRestartTests
{
    private static string Progress(int step) =>
        $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":100,"processed_items":{{{step}}},"enriched_items":{{{step}}},"percent_complete":{{{step}}}}}""";

    private const string Started = """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":100}}""";
    private const string Completed = """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":100,"processed_items":100,"enriched_items":100,"percent_complete":100}}""";

    /// <summary>One publish through the API: the event id on 202, null on 503 bus_unavailable (anything else fails).</summary>
    private static async Task<string?> TryPublishAsync(HubServer server, string token, string bomId, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await server.Client.SendAsync(request).Bounded();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            Assert.Equal("bus_unavailable", body.GetProperty("code").GetString());
            return null;
        }

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return body.GetProperty("event_id").GetString();
    }

    private static async Task WaitForReadyAsync(HubServer server, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (true)
        {
            using var response = await server.Client.GetAsync("health/ready").Bounded();
            if (response.StatusCode == expected)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"/health/ready never answered {expected}.");
            await Task.Delay(50);
        }
    }

    private static async Task<string[]> LogIdsAsync(string connectionString, string bomId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString).Bounded();
        var entries = await redis.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(bomId)).Bounded();
        return [.. entries.Select(e => e.Id.ToString())];
    }

    [Fact]
    public async Task Redis_killed_and_restarted_mid_enrichment_sse_and_signalr_subscribers_end_with_every_event_once_in_order()
    {
        await using var redis = await PrivateRedisServer.StartAsync(persistent: true);
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Stream:KeepAliveInterval"] = "00:00:00.250",
        });
        const string bom = "bom-redis-restart";
        var publisher = server.PublisherToken();
        Assert.NotNull(await TryPublishAsync(server, publisher, bom, Started));

        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"));
        await using var hub = await HubClient.ConnectAsync(new Uri(server.BaseAddress, "hubs/enrichment"), server.Token("acme"));
        await hub.SubscribeAsync(bom);
        var sseReading = Task.Run(() => sse.ReadToEndAsync());
        var hubReading = Task.Run(() => hub.ReadUntilStreamEndAsync());

        // The worker: publishes a run through the API, retrying each event on 503 until it is accepted.
        var acked = new ConcurrentQueue<string>();
        var refusals = 0;
        var slowestRefusal = TimeSpan.Zero;
        var publishing = Task.Run(async () =>
        {
            for (var step = 1; step <= 40; step++)
            {
                var json = step == 40 ? Completed : Progress(step);
                while (true)
                {
                    var attempt = Stopwatch.StartNew();
                    if (await TryPublishAsync(server, publisher, bom, json) is { } id)
                    {
                        acked.Enqueue(id);
                        break;
                    }

                    Interlocked.Increment(ref refusals);
                    slowestRefusal = attempt.Elapsed > slowestRefusal ? attempt.Elapsed : slowestRefusal;
                    await Task.Delay(25);
                }

                await Task.Delay(15);
            }
        });

        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (acked.Count < 10)
        {
            Assert.True(DateTime.UtcNow < deadline, "The worker did not get going.");
            await Task.Delay(10);
        }

        await redis.KillAsync();
        await WaitForReadyAsync(server, HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("health/live").Bounded()).StatusCode);
        while (Volatile.Read(ref refusals) < 3)
        {
            Assert.True(DateTime.UtcNow < deadline + TestTimeouts.Default, "Publishing while Redis was down was never refused.");
            await Task.Delay(10);
        }

        await redis.RestartAsync();
        await publishing.WaitAsync(TimeSpan.FromSeconds(30));
        await WaitForReadyAsync(server, HttpStatusCode.OK);

        var sseEvents = await sseReading.WaitAsync(TimeSpan.FromSeconds(20));
        var hubEvents = await hubReading.WaitAsync(TimeSpan.FromSeconds(20));
        var logIds = await LogIdsAsync(redis.ConnectionString, bom);

        // The log survived the kill (appendfsync always) and holds every accepted event; both subscribers got the
        // whole log (the first as the snapshot), each event once and in order, over the connection they opened first.
        // (Publishing is at-least-once: had Redis died between storing an event and answering, the retry would
        // store it again, with its own id; the log, and the clients, would then hold 42.)
        Assert.InRange(logIds.Length, 41, 42);
        Assert.Subset(logIds.ToHashSet(), acked.ToHashSet());
        Assert.Equal(logIds, sseEvents.Where(e => e.Id is not null).Select(e => e.Id));
        Assert.Equal("connected", sseEvents[0].Event);
        Assert.Single(sseEvents, e => e.Event == "connected");
        Assert.Equal("stream_end", sseEvents[^1].Event);
        Assert.Equal([.. logIds, null], hubEvents.Select(e => e.Id));
        Assert.Equal("completed", hubEvents[^1].Data["reason"]!.GetValue<string>());
        Assert.Equal(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected, hub.Connection.State);

        // Refused fast (no waiting in the client library's backlog), and refused, never silently dropped.
        Assert.True(slowestRefusal < TimeSpan.FromSeconds(2), $"A refusal took {slowestRefusal}.");
    }

    [Fact]
    public async Task Events_published_while_the_subscription_connection_is_down_are_recovered_from_the_log()
    {
        await using var redis = await PrivateRedisServer.StartAsync(persistent: false);
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString });
        const string bom = "bom-subscription-drop";
        var ids = new List<string> { (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started)).EventId };
        await using var sse = await server.OpenStreamAsync(bom, server.Token("acme"));
        Assert.Equal(EnrichmentEventNames.Connected, (await sse.ReadEventAsync())!.Event);
        Assert.Equal(ids[0], (await sse.ReadEventAsync())!.Id);

        // Redis drops every pub/sub connection (as on a failover or a proxy restart) and, with maxclients at 1, refuses
        // new connections while keeping the open ones: the node's commands keep working, but it cannot resubscribe,
        // so these events are logged and PUBLISHed while it has no subscription to hear them.
        await using var admin = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",allowAdmin=true").Bounded();
        var db = admin.GetDatabase();
        await db.ExecuteAsync("CONFIG", "SET", "maxclients", "1").Bounded();
        await db.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub").Bounded();
        for (var step = 1; step <= 3; step++)
        {
            ids.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, processed: step)).EventId);
        }

        ids.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);
        await db.ExecuteAsync("CONFIG", "SET", "maxclients", "10000").Bounded();

        var rest = await sse.ReadToEndAsync();
        Assert.Equal(ids.Skip(1), rest.Where(e => e.Id is not null).Select(e => e.Id));
        Assert.Equal("stream_end", rest[^1].Event);
        var metrics = await server.Client.GetStringAsync("metrics").Bounded();
        Assert.Matches("(?m)^notificationhub_events_recovered_total(\\{[^}]*\\})? [1-9]", metrics);
    }
}
