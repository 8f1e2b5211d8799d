using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>The multi-BOM SSE stream on the embedded in-memory bus.</summary>
public sealed class InMemoryMultiBomSseEndpointTests : MultiBomSseEndpointTests
{
    /// <inheritdoc />
    protected override Task<HubServer> StartServerAsync(IDictionary<string, string?>? settings = null) => HubServer.StartAsync(settings);

    [Fact]
    public async Task A_multi_bom_stream_holds_one_of_the_users_concurrent_stream_slots()
    {
        await using var server = await StartServerAsync(new Dictionary<string, string?> { ["RateLimiting:PerUserConcurrentConnections"] = "1" });
        string[] boms = [$"bom-rl-{Guid.NewGuid():N}", $"bom-rl-{Guid.NewGuid():N}"];
        foreach (var bom in boms)
        {
            await server.ClaimAsync(bom, "acme");
        }

        var token = server.Token("acme");
        await using var multi = await server.OpenMultiStreamAsync(boms, token);
        Assert.Equal(System.Net.HttpStatusCode.OK, multi.StatusCode);
        await using var another = await server.OpenMultiStreamAsync(boms, token);
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, another.StatusCode);
        await using var single = await server.OpenStreamAsync(boms[0], token);
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, single.StatusCode);
    }

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
