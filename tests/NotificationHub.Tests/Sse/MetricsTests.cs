using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

public sealed class MetricsTests
{
    private static void AssertPositive(string text, string metric, string labels = "") =>
        Assert.Matches($"(?m)^{metric}\\{{[^}}]*{labels}[^}}]*\\}} [1-9]|^{metric} [1-9]", text);

    [Fact]
    public async Task Metrics_endpoint_shows_bus_and_connection_counters_moving()
    {
        await using var server = await HubServer.StartAsync();
        var first = await server.PublishAsync("bom-metrics", "acme", EnrichmentEventNames.Started);
        await using var sse = await server.OpenStreamAsync("bom-metrics", server.Token("acme"));
        await sse.ReadUntilAsync(EnrichmentEventNames.Progress);
        await server.PublishAsync("bom-metrics", "acme", EnrichmentEventNames.Progress, processed: 1);
        await sse.ReadEventAsync();

        // A resume replays from the log; a SignalR connection counts under its own transport.
        await using var resumed = await server.OpenStreamAsync("bom-metrics", server.Token("acme"), lastEventId: first.EventId);
        await resumed.ReadUntilAsync(EnrichmentEventNames.Progress);
        await using var hub = await HubClient.ConnectAsync(new Uri(server.BaseAddress, "hubs/enrichment"), server.Token("acme"));
        await hub.SubscribeAsync("bom-metrics");
        await hub.NextAsync();

        var text = await server.Client.GetStringAsync("metrics").Bounded();

        AssertPositive(text, "notificationhub_events_published_total");
        AssertPositive(text, "notificationhub_events_delivered_total");
        AssertPositive(text, "notificationhub_events_replayed_total");
        AssertPositive(text, "notificationhub_subscriptions");
        AssertPositive(text, "notificationhub_topics");
        AssertPositive(text, "notificationhub_connections_open", "transport=\"sse\"");
        AssertPositive(text, "notificationhub_connections_open", "transport=\"signalr\"");
        AssertPositive(text, "notificationhub_delivery_latency_milliseconds_count");
        Assert.Matches("(?m)^notificationhub_delivery_latency_milliseconds_bucket\\{[^}]*le=\"\\+Inf\"[^}]*\\} [1-9]", text);
        Assert.Matches("(?m)^notificationhub_subscriber_queue_events(\\{[^}]*\\})? \\d", text);

        // ASP.NET Core's, Kestrel's and the runtime's meters too (the load tool reads allocations from the runtime's).
        AssertPositive(text, "http_server_request_duration_seconds_count");
        AssertPositive(text, "kestrel_active_connections");
        AssertPositive(text, "dotnet_gc_heap_total_allocated_bytes_total");

        // Counters only appear once they moved: slow-consumer disconnects are asserted in SlowConsumerTests, recovered
        // events in RedisRestartTests, dropped channel messages in HostileInputTests.
    }

    [Fact]
    public async Task Metrics_of_a_host_count_its_own_instruments_after_another_host_of_the_process_is_disposed()
    {
        // Both hosts create the same-named meters. The other host starts first, so its instruments are the first of
        // those names this host's listener hears; its disposal must not take this host's counts with it.
        await using var other = await HubServer.StartAsync();
        await using var server = await HubServer.StartAsync();
        await other.PublishAsync("bom-other", "acme", EnrichmentEventNames.Started);
        await server.PublishAsync("bom-own-1", "acme", EnrichmentEventNames.Started);
        await other.DisposeAsync();

        await server.PublishAsync("bom-own-2", "acme", EnrichmentEventNames.Started);
        var text = await server.Client.GetStringAsync("metrics").Bounded();

        // Exactly this host's two: neither the other host's publish nor nothing at all.
        Assert.Matches("(?m)^notificationhub_events_published_total(\\{[^}]*\\})? 2$", text);
    }
}
