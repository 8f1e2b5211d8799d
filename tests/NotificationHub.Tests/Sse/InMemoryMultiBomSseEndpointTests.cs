using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>The multi-BOM SSE stream on the embedded in-memory bus.</summary>
public sealed class InMemoryMultiBomSseEndpointTests : MultiBomSseEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null) => HubServer.StartAsync(settings);

    [Theory]
    [InlineData("0")]
    [InlineData("51")]
    public async Task A_max_boms_per_stream_outside_1_to_50_stops_the_server_at_start(string value)
    {
        var failure = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            HubServer.StartAsync(new Dictionary<string, string?> { ["Sse:MaxBomsPerStream"] = value }));
        Assert.Contains("MaxBomsPerStream", failure.Message, StringComparison.Ordinal);
    }
}
