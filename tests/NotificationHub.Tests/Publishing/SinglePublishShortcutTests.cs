using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>
/// <c>SinglePublishShortcut</c> in the real server: a cached publisher token's single publish runs without the
/// authorization middleware, and everything else (a browser's request, an uncached token, a token without the scope,
/// a bad token, another endpoint) still goes through it, with the same answers.
/// </summary>
public sealed class SinglePublishShortcutTests
{
    private const string Progress = """{"event_type":"progress","tenant_id":"acme","state":{"total_items":3,"processed_items":1}}""";

    private static async Task<HttpResponseMessage> PostAsync(HubServer server, string path, string body, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", token);
        return await server.Client.SendAsync(request).Bounded();
    }

    [Fact]
    public async Task A_cached_publisher_tokens_single_publish_without_Origin_skips_the_authorization_middleware_and_nothing_else_does()
    {
        var evaluations = new CountingAuthorizationHandler();
        await using var server = await HubServer.StartAsync(configure: builder =>
            builder.Services.AddSingleton<IAuthorizationHandler>(evaluations));
        var bom = $"bom-shortcut-{Guid.NewGuid():N}";
        var publisher = server.PublisherToken();

        // The first publish validates the token through JwtBearer (and the policy); it is cached from then on.
        using (var first = await PostAsync(server, $"api/enrichment/{bom}/events", Progress, publisher))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        var afterFirst = evaluations.Count;
        Assert.True(afterFirst > 0);
        for (var i = 0; i < 5; i++)
        {
            using var accepted = await PostAsync(server, $"api/enrichment/{bom}/events", Progress, publisher);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        }

        Assert.Equal(afterFirst, evaluations.Count); // no policy evaluated for the cached token's publishes

        // A browser's publish (it sends Origin) takes the whole pipeline, CORS included.
        using (var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent(Progress, Encoding.UTF8, "application/json"),
        })
        {
            request.Headers.Authorization = new("Bearer", publisher);
            request.Headers.Add("Origin", "http://localhost:5173");
            using var fromBrowser = await server.Client.SendAsync(request).Bounded();
            Assert.Equal(HttpStatusCode.Accepted, fromBrowser.StatusCode);
        }

        Assert.Equal(afterFirst + 1, evaluations.Count);
        afterFirst = evaluations.Count;

        // The handler's own refusals are the same through the shortcut.
        using (var badBom = await PostAsync(server, "api/enrichment/bad%20id/events", Progress, publisher))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badBom.StatusCode);
            Assert.Equal("application/problem+json", badBom.Content.Headers.ContentType?.MediaType);
        }

        // The same cached token on the batch endpoint goes through the pipeline.
        using (var batch = await PostAsync(server, "api/enrichment/events",
            $$$"""{"events":[{"bom_id":"{{{bom}}}","event_type":"progress","tenant_id":"acme","state":{"total_items":3}}]}""", publisher))
        {
            Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        }

        Assert.True(evaluations.Count > afterFirst);
        var beforeRefusals = evaluations.Count;

        // A user token (not cached, no publish scope): the pipeline's 403, as before.
        using (var user = await PostAsync(server, $"api/enrichment/{bom}/events", Progress, server.Token("acme")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
            Assert.Equal("application/problem+json", user.Content.Headers.ContentType?.MediaType);
        }

        Assert.True(evaluations.Count > beforeRefusals);

        // A token that is not valid: JwtBearer's 401, as before.
        using (var bad = await PostAsync(server, $"api/enrichment/{bom}/events", Progress, publisher + "x"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        }

        // No token at all: 401.
        using var anonymous = await server.Client.PostAsync($"api/enrichment/{bom}/events", new StringContent(Progress, Encoding.UTF8, "application/json")).Bounded();
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
