using System.Net;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>Configured browser origins may call the stream and status endpoints; others get no CORS headers.</summary>
public sealed class CorsTests : IAsyncLifetime
{
    private const string Portal = "http://localhost:27555";
    private HubServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = Portal });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Preflight_from_an_allowed_origin_is_answered()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "api/enrichment/status/bom-1");
        request.Headers.Add("Origin", Portal);
        request.Headers.Add("Access-Control-Request-Method", "GET");
        request.Headers.Add("Access-Control-Request-Headers", "authorization");
        using var response = await _server.Client.SendAsync(request).Bounded();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Portal, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Stream_from_an_allowed_origin_carries_the_allow_origin_header()
    {
        await _server.PublishAsync("bom-cors", "acme", EnrichmentEventNames.Started);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/enrichment/stream/bom-cors?token={_server.Token("acme")}");
        request.Headers.Add("Origin", Portal);
        using var response = await _server.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).Bounded();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Portal, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Other_origins_get_no_allow_origin_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "api/enrichment/status/bom-1");
        request.Headers.Add("Origin", "http://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "GET");
        using var response = await _server.Client.SendAsync(request).Bounded();

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
