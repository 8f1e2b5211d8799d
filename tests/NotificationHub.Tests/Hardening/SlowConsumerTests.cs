using System.Text.Json;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Hubs;
using NotificationHub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static NotificationHub.Tests.Infrastructure.Eventually;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// A client that stops reading (a socket with a tiny receive buffer that reads nothing) is cut off as a slow
/// consumer once its bounded queue overflows, while a fast client of the same BOM gets every event, and the events
/// queued on the node never exceed the queues' bound.
/// </summary>
public sealed class SlowConsumerTests
{
    private const int QueueCapacity = 4;

    // Big events fill the kernel's socket buffers and Kestrel's response buffer after a few dozen.
    private static readonly JsonElement BigPayload = JsonSerializer.SerializeToElement(new { blob = new string('x', 200_000) });

    private static Task<HubServer> StartAsync() => HubServer.StartAsync(new Dictionary<string, string?>
    {
        ["Bus:SubscriberQueueCapacity"] = QueueCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Bus:MaxEventBytes"] = "1048576",
        ["Stream:EndWriteTimeout"] = "00:00:00.200",
    });

    private static Task<BusEvent> PublishBigAsync(HubServer server, string bomId, int step) =>
        server.Bus.PublishAsync(bomId, new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Progress,
            TenantId = "acme",
            State = new EnrichmentProgressState { TotalItems = 1000, ProcessedItems = step, EnrichedItems = step },
            Payload = BigPayload,
        }).AsTask().WaitAsync(TestTimeouts.Default);

    /// <summary>
    /// Publishes big events one at a time, each only after <paramref name="readFast"/> got the previous one (so the
    /// fast client never lags), until the stalled subscriber is gone from the bus. Returns the published ids.
    /// </summary>
    private static async Task<List<string>> PublishUntilCutOffAsync(HubServer server, string bomId, Func<Task<string?>> readFast)
    {
        var ids = new List<string>();
        long maxQueued = 0;
        for (var step = 1; server.Bus.LocalSubscriptionCount > 1 && step <= 400; step++)
        {
            var published = await PublishBigAsync(server, bomId, step);
            ids.Add(published.EventId);
            maxQueued = Math.Max(maxQueued, server.Bus.QueuedEventCount);
            Assert.Equal(published.EventId, await readFast());
        }

        // A cut-off subscription is released once its pump has ended (its stream_end given Stream:EndWriteTimeout),
        // which a loaded host may not schedule before the last step.
        await WaitUntilAsync(() => server.Bus.LocalSubscriptionCount <= 1,
            $"the stalled client was cut off (queued {server.Bus.QueuedEventCount}, max {maxQueued})");

        // Bounded memory: the stalled client held at most its queue, the fast one at most the event in flight.
        Assert.InRange(maxQueued, 1, QueueCapacity + 1);
        return ids;
    }

    [Fact]
    public async Task Sse_client_that_stops_reading_is_cut_off_and_a_fast_one_gets_every_event()
    {
        await using var server = await StartAsync();
        const string bom = "bom-slow-sse";
        var started = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var token = server.Token("acme");

        await using var fast = await server.OpenStreamAsync(bom, token);
        Assert.Equal(EnrichmentEventNames.Connected, (await fast.ReadEventAsync())!.Event);
        Assert.Equal(started.EventId, (await fast.ReadEventAsync())!.Id);
        await using var stalled = await StalledClients.OpenSseAsync(server.BaseAddress, bom, token);
        await WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 2, "the stalled stream subscribed");

        var ids = await PublishUntilCutOffAsync(server, bom, async () => (await fast.ReadEventAsync())!.Id);

        var completed = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3);
        ids.Add(completed.EventId);
        var rest = await fast.ReadToEndAsync();
        Assert.Equal([completed.EventId, null], rest.Select(e => e.Id));
        Assert.Equal("completed", JsonDocument.Parse(rest[^1].Data).RootElement.GetProperty("reason").GetString());

        // The stalled client's connection was closed by the server: what it can still read ends, and it never
        // received more than a prefix of the events (no stream_end fits behind a full buffer).
        var stalledText = await stalled.ReadUntilClosedAsync();
        Assert.StartsWith("HTTP/1.1 200", stalledText, StringComparison.Ordinal);
        Assert.DoesNotContain(completed.EventId, stalledText, StringComparison.Ordinal);
        await WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 0, "every subscription was released");

        Assert.True(await SlowConsumerCountedAsync(server));
    }

    [Fact]
    public async Task Sse_client_whose_stream_end_was_taken_after_the_cut_off_has_its_connection_closed_not_kept_alive()
    {
        // The end write has 10 s: the client, cut off while it read nothing, reads everything then, stream_end
        // included, so the response ends normally. Its connection must then be closed, not kept alive for a next
        // request (Kestrel's keep-alive timeout is 130 s, past this read's bound): EventSource reconnects anyway, and a
        // client that stopped reading once must not hold a connection, however long its buffers took the bytes.
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Bus:SubscriberQueueCapacity"] = QueueCapacity.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Bus:MaxEventBytes"] = "1048576",
            ["Stream:EndWriteTimeout"] = "00:00:10",
        });
        const string bom = "bom-slow-sse-drained";
        await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        await using var stalled = await StalledClients.OpenSseAsync(server.BaseAddress, bom, server.Token("acme"));
        await WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 1, "the stalled stream subscribed");

        // The counter is read from /metrics, whose exporter caches a scrape for a moment: publishing stops at the cap,
        // and the cut-off, if it happened, shows once the cache expires.
        for (var step = 1; step <= 400 && !await SlowConsumerCountedAsync(server); step++)
        {
            await PublishBigAsync(server, bom, step);
        }

        await WaitUntilAsync(() => SlowConsumerCountedAsync(server),
            $"the stalled client was cut off (subscriptions {server.Bus.LocalSubscriptionCount}, queued {server.Bus.QueuedEventCount})");

        var stalledText = await stalled.ReadUntilClosedAsync();
        Assert.Contains("\"reason\":\"slow_consumer\"", stalledText, StringComparison.Ordinal);
        await WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 0, "the subscription was released");
    }

    private static async Task<bool> SlowConsumerCountedAsync(HubServer server) =>
        System.Text.RegularExpressions.Regex.IsMatch(await server.Client.GetStringAsync("metrics").Bounded(),
            "(?m)^notificationhub_subscribers_slow_consumer_disconnects_total(\\{[^}]*\\})? [1-9]");

    [Fact]
    public async Task SignalR_connection_that_stops_reading_is_disconnected_and_a_fast_one_gets_every_event()
    {
        await using var server = await StartAsync();
        const string bom = "bom-slow-hub";
        var started = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started);
        var token = server.Token("acme");
        var hubUrl = new Uri(server.BaseAddress, "hubs/enrichment");

        await using var fast = await HubClient.ConnectAsync(hubUrl, token);
        await fast.SubscribeAsync(bom);
        Assert.Equal(started.EventId, (await fast.NextAsync()).Id);
        await using var stalled = await StalledClients.OpenHubAsync(server.BaseAddress, bom, token);
        Assert.Equal(2, server.Bus.LocalSubscriptionCount);

        var ids = await PublishUntilCutOffAsync(server, bom, async () => (await fast.NextAsync()).Id);

        var completed = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3);
        var rest = await fast.ReadUntilStreamEndAsync();
        Assert.Equal([completed.EventId, null], rest.Select(e => e.Id));

        // The hub aborted the stalled connection (its blocked send was cancelled), or, when no send was pending at the
        // cut-off, SignalR's client timeout closed it: the socket ends. Its per-connection
        // state lives in the connection's Items and goes with it; both streams are released (cut off, and ended).
        var stalledText = await stalled.ReadUntilClosedAsync();
        Assert.DoesNotContain(completed.EventId, stalledText, StringComparison.Ordinal);
        // No SignalR close message: one from HubCallerContext.Abort carries allowReconnect:false and clients would not reconnect.
        Assert.DoesNotContain("\"type\":7", stalledText, StringComparison.Ordinal);
        await WaitUntilAsync(() => server.Bus.LocalSubscriptionCount == 0, "both streams were released");
        Assert.True(fast.Connection.State == Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected);
        Assert.NotEmpty(ids);
    }

    [Fact]
    public async Task The_dotnet_client_over_signalr_resumes_after_being_cut_off_and_ends_with_every_event()
    {
        // A queue of one and a burst published faster than any connection can send: the watch is cut off (maybe
        // more than once) and resubscribes from its last id each time.
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Bus:SubscriberQueueCapacity"] = "1" });
        const string bom = "bom-slow-client";
        var ids = new List<string> { (await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started)).EventId };
        await using var client = new NotificationHub.Client.EnrichmentClient(new NotificationHub.Client.EnrichmentClientOptions
        {
            BaseAddress = server.BaseAddress,
            TokenProvider = _ => ValueTask.FromResult(server.Token("acme")),
        });
        await using var events = client.WatchAsync(bom).GetAsyncEnumerator();
        Assert.True(await events.MoveNextAsync().AsTask().Bounded());
        Assert.Equal(EnrichmentEventNames.Connected, events.Current.Event);
        Assert.True(await events.MoveNextAsync().AsTask().Bounded());
        Assert.Equal(ids[0], events.Current.Id);

        for (var step = 1; step <= 200; step++)
        {
            ids.Add((await server.Bus.PublishAsync(bom, new PublishEventRequest
            {
                EventType = EnrichmentEventNames.Progress,
                TenantId = "acme",
                State = new EnrichmentProgressState { TotalItems = 200, ProcessedItems = step, EnrichedItems = step },
            })).EventId);
        }

        ids.Add((await server.PublishAsync(bom, "acme", EnrichmentEventNames.Completed, processed: 3)).EventId);
        var rest = new List<NotificationHub.Client.EnrichmentEventMessage>();
        while (await events.MoveNextAsync().AsTask().Bounded())
        {
            rest.Add(events.Current);
        }

        Assert.True(rest.Any(e => e.Event == EnrichmentEventNames.Connected), "The watch was never cut off.");
        Assert.Equal(ids.Skip(1), rest.Where(e => e.Id is not null).Select(e => e.Id));
        Assert.Equal("completed", rest[^1].AsStreamEnd()!.Reason);
        Assert.Single(rest, e => e.IsStreamEnd);
    }
}
