using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using NotificationHub.Watch;

namespace NotificationHub.Tests.Hubs;

public sealed class WatchCommandTests
{
    [Theory]
    [InlineData("signalr")]
    [InlineData("sse")]
    public async Task Watch_prints_each_event_until_stream_end(string transport)
    {
        await using var server = await HubServer.StartAsync();
        const string bom = "bom-cli", tenant = "t";
        var started = (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId;
        var completed = (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3)).EventId;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await WatchCommand.RunAsync(
            ["watch", bom, "--token", server.Token(tenant), "--url", server.BaseAddress.ToString(), "--transport", transport, "--last-event-id", started],
            output, error, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(0, exit);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("connected - ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"enrichment.completed {completed} ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("stream_end - ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_usage_exits_2()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(2, await WatchCommand.RunAsync(["watch", "bom"], output, error, CancellationToken.None));
        Assert.Contains("usage:", error.ToString(), StringComparison.Ordinal);
    }
}
