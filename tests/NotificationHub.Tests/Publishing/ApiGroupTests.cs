using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Publishing;

/// <summary>
/// What the API group (<c>/api/enrichment</c>) sets once for all its endpoints: the BOM id validated before any
/// handler (one log line per refusal), and the tenant policy that refuses a token without a tenant everywhere.
/// </summary>
public sealed class ApiGroupTests
{
    private const string BadBomId = "bad%20bom%0Aid";

    public static TheoryData<string, string> EndpointsWithABomId => new()
    {
        { "GET", $"api/enrichment/stream/{BadBomId}" },
        { "GET", $"api/enrichment/status/{BadBomId}" },
        { "POST", $"api/enrichment/{BadBomId}/start" },
        { "POST", $"api/enrichment/{BadBomId}/cancel" },
        { "POST", $"api/enrichment/{BadBomId}/events" },
    };

    public static TheoryData<string, string> TenantEndpoints => new()
    {
        { "GET", "api/enrichment/stream/bom-api-group" },
        { "GET", "api/enrichment/status/bom-api-group" },
        { "POST", "api/enrichment/bom-api-group/start" },
        { "POST", "api/enrichment/bom-api-group/cancel" },
    };

    [Theory]
    [MemberData(nameof(EndpointsWithABomId))]
    public async Task An_invalid_bom_id_is_refused_with_invalid_bom_id_and_logged_once_on_every_endpoint(string method, string path)
    {
        var logs = new CapturingLoggerProvider();
        await using var server = await HubServer.StartAsync(configure: builder => builder.Logging.AddProvider(logs));
        var token = path.EndsWith("/events", StringComparison.Ordinal) ? server.PublisherToken() : server.Token("acme");

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new("Bearer", token);
        if (method == "POST")
        {
            request.Content = JsonContent.Create(new { event_type = "progress" });
        }

        using var response = await server.Client.SendAsync(request).Bounded();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>().Bounded();
        Assert.Equal("invalid_bom_id", body.GetProperty("code").GetString());
        var refusals = logs.Entries.Where(e => e.Message.Contains("invalid_bom_id", StringComparison.Ordinal)).ToList();
        var refusal = Assert.Single(refusals);
        Assert.DoesNotContain('\n', refusal.Message); // the caller's id is made safe for the log line
    }

    [Theory]
    [MemberData(nameof(TenantEndpoints))]
    public async Task A_token_without_a_tenant_is_forbidden_on_every_tenant_endpoint(string method, string path)
    {
        await using var server = await HubServer.StartAsync();

        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new("Bearer", server.PublisherToken()); // valid, but names no tenant
        using var response = await server.Client.SendAsync(request).Bounded();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>().Bounded();
        Assert.Equal("forbidden", body.GetProperty("code").GetString());
        Assert.Equal("The token names no tenant.", body.GetProperty("detail").GetString());
    }
}
