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

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_the_usage_and_exits_0(string help)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, await WatchCommand.RunAsync(["watch", help], output, error, CancellationToken.None));
        Assert.StartsWith("usage: watch <bom_id>", output.ToString(), StringComparison.Ordinal);
        Assert.Equal("", error.ToString());
    }

    [Fact]
    public async Task Every_transport_and_protocol_prints_the_same_text_for_the_same_events()
    {
        await using var server = await HubServer.StartAsync();
        const string bom = "bom-cli-same", tenant = "t";
        var started = (await server.PublishAsync(bom, tenant, EnrichmentEventNames.Started)).EventId;
        await server.PublishAsync(bom, tenant, EnrichmentEventNames.Progress, 1);
        await server.PublishAsync(bom, tenant, EnrichmentEventNames.Completed, 3);

        async Task<string> WatchAsync(params string[] options)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exit = await WatchCommand.RunAsync(
                ["watch", bom, "--token", server.Token(tenant), "--url", server.BaseAddress.ToString(), "--last-event-id", started, .. options],
                output, error, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, error.ToString());

            // connected differs by design (the hub's subscription result has "ended"); the events must not.
            return string.Join('\n', output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        }

        var sse = await WatchAsync("--transport", "sse");
        Assert.Contains("+00:00", sse, StringComparison.Ordinal);
        Assert.Equal(sse, await WatchAsync("--transport", "signalr", "--protocol", "json"));
        Assert.Equal(sse, await WatchAsync("--transport", "signalr", "--protocol", "messagepack"));
    }
}
