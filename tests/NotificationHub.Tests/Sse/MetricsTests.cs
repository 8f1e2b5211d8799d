using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_endpoint_shows_bus_and_connection_counters_moving()
    {
        await using var server = await HubServer.StartAsync();
        await server.PublishAsync("bom-metrics", "acme", EnrichmentEventNames.Started);
        await using var sse = await server.OpenStreamAsync("bom-metrics", server.Token("acme"));
        await sse.ReadUntilAsync(EnrichmentEventNames.Progress);
        await server.PublishAsync("bom-metrics", "acme", EnrichmentEventNames.Progress, processed: 1);
        await sse.ReadEventAsync();

        // Meters are process-wide and other test servers may run in parallel: values are at least ours, not exactly.
        var text = await server.Client.GetStringAsync("metrics").Bounded();

        Assert.Matches("(?m)^notificationhub_events_published_total(\\{[^}]*\\})? [1-9]", text);
        Assert.Matches("(?m)^notificationhub_events_delivered_total(\\{[^}]*\\})? [1-9]", text);
        Assert.Matches("(?m)^notificationhub_connections_open\\{[^}]*transport=\"sse\"[^}]*\\} [1-9]", text);
    }
}
