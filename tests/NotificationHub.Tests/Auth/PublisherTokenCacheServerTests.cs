using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using NotificationHub.Server.Auth;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Auth;

/// <summary>The publisher token cache in the real server: reused tokens keep working, expired ones are refused as before.</summary>
public sealed class PublisherTokenCacheServerTests
{
    private const string Progress = """{"event_type":"progress","tenant_id":"acme","state":{"total_items":3,"processed_items":1}}""";

    private static async Task<HttpResponseMessage> PublishAsync(HubServer server, string bomId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events")
        {
            Content = new StringContent(Progress, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token);
        return await server.Client.SendAsync(request).Bounded();
    }

    private static ValidatedTokenCache CacheOf(HubServer server) =>
        Assert.IsType<ValidatedTokenCache>(Assert.Single(
            server.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme).TokenHandlers));

    [Fact]
    public async Task A_cached_publisher_token_is_authenticated_without_JwtBearer_and_keeps_exactly_its_rights()
    {
        await using var server = await HubServer.StartAsync();
        var bom = $"bom-token-shortcut-{Guid.NewGuid():N}";
        var events = server.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme).Events;
        var jwtBearerRuns = 0;
        var messageReceived = events.OnMessageReceived;
        events.OnMessageReceived = context =>
        {
            Interlocked.Increment(ref jwtBearerRuns);
            return messageReceived(context);
        };

        var publisher = server.PublisherToken();
        for (var i = 0; i < 4; i++)
        {
            using var accepted = await PublishAsync(server, bom, publisher);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        Assert.Equal(1, Volatile.Read(ref jwtBearerRuns)); // the first publish validated and cached it; the rest did not run JwtBearer

        // Served from the cache, the token still has no tenant: the status endpoint forbids it, as JwtBearer's answer.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/enrichment/status/{bom}");
        request.Headers.Authorization = new("Bearer", publisher);
        using var forbidden = await server.Client.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);

        // Another token still goes through JwtBearer (and its refusals stay the same 401).
        using var bad = await PublishAsync(server, bom, publisher + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal(2, Volatile.Read(ref jwtBearerRuns));
    }

    [Fact]
    public async Task A_publisher_token_works_for_repeated_publishes_and_is_refused_once_expired_although_cached()
    {
        await using var server = await HubServer.StartAsync();
        var bom = $"bom-token-cache-{Guid.NewGuid():N}";
        var cache = CacheOf(server);

        var publisher = server.PublisherToken();
        for (var i = 0; i < 5; i++)
        {
            using var accepted = await PublishAsync(server, bom, publisher);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        Assert.Equal(1, cache.Count);

        // A user token is refused with 403 (no publish scope) and never cached.
        using (var user = await PublishAsync(server, bom, server.Token("acme")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        }

        Assert.Equal(1, cache.Count);

        // A token that expires in 2 s (the test server has no clock skew): cached by its first publish.
        var shortLived = server.Services.GetRequiredService<TokenIssuer>().Issue(null, "worker", TimeSpan.FromSeconds(2), ClaimNames.PublishScope);
        using (var accepted = await PublishAsync(server, bom, shortLived))
        {
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        Assert.Equal(2, cache.Count);
        var exp = new JsonWebToken(shortLived).ValidTo;
        var wait = exp - DateTime.UtcNow + TimeSpan.FromMilliseconds(100);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        using var refused = await PublishAsync(server, bom, shortLived);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync().Bounded()).RootElement;
        Assert.Equal("unauthorized", problem.GetProperty("code").GetString());
        Assert.Equal("The token has expired.", problem.GetProperty("detail").GetString());

        // The long-lived token is still served.
        using var again = await PublishAsync(server, bom, publisher);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task Size_zero_turns_the_cache_off()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Auth:PublisherTokenCacheSize"] = "0" });
        var handler = Assert.Single(
            server.Services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtBearerDefaults.AuthenticationScheme).TokenHandlers);
        Assert.IsType<JsonWebTokenHandler>(Assert.IsType<StrictTokenHandler>(handler).Inner); // the strict rules, uncached

        using var accepted = await PublishAsync(server, $"bom-token-cache-{Guid.NewGuid():N}", server.PublisherToken());
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }
}
