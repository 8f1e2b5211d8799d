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

        var text = await server.Client.GetStringAsync("metrics").Bounded();

        Assert.Contains("notificationhub_events_published_total", text, StringComparison.Ordinal);
        Assert.Contains("notificationhub_events_delivered_total", text, StringComparison.Ordinal);
        Assert.Matches("notificationhub_connections_open\\{[^}]*transport=\"sse\"[^}]*\\} 1", text);
    }
}
