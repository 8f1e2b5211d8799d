using System.Text.Json;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

public sealed class SseShutdownTests
{
    [Fact]
    public async Task Stopping_the_server_ends_streams_with_server_shutdown()
    {
        var server = await HubServer.StartAsync();
        await using var _ = server;
        await server.PublishAsync("bom-shutdown", "acme", EnrichmentEventNames.Started);
        await using var sse = await server.OpenStreamAsync("bom-shutdown", server.Token("acme"));
        await sse.ReadUntilAsync(EnrichmentEventNames.Progress);

        var stopping = server.StopAsync();
        var rest = await sse.ReadToEndAsync();
        await stopping.Bounded();

        Assert.Equal(["stream_end"], rest.Select(e => e.Event));
        Assert.Equal("server_shutdown", JsonDocument.Parse(rest[0].Data).RootElement.GetProperty("reason").GetString());
    }
}
