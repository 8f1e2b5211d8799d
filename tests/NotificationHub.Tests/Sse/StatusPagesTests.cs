using System.Net;
using System.Text.Json;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

/// <summary>
/// The status code pages skip the stream endpoints (a stream's request would hold their frame for its whole life,
/// and every answer of a stream has a body): everything else still gets its problem body from them.
/// </summary>
public sealed class StatusPagesTests
{
    [Theory]
    [InlineData("DELETE", "api/enrichment/stream/bom-pages", HttpStatusCode.MethodNotAllowed)]
    [InlineData("GET", "api/enrichment/no-such-route", HttpStatusCode.NotFound)]
    public async Task A_bodiless_refusal_of_routing_gets_a_problem_body_from_the_status_pages(string method, string path, HttpStatusCode status)
    {
        await using var server = await HubServer.StartAsync();

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new("Bearer", server.Token("acme"));
        using var response = await server.Client.SendAsync(request).Bounded();

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Bounded());
        Assert.Equal((int)status, body.RootElement.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task A_refused_stream_answers_with_its_own_problem_body()
    {
        await using var server = await HubServer.StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, "api/enrichment/stream/bom-nobody-published");
        request.Headers.Authorization = new("Bearer", server.Token("acme"));
        using var response = await server.Client.SendAsync(request).Bounded();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Bounded());
        Assert.Equal("bom_not_found", body.RootElement.GetProperty("code").GetString());
    }
}
