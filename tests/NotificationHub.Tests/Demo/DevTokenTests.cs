using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using NotificationHub.Server.Dev;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Demo;

public sealed class DevTokenTests
{
    [Fact]
    public async Task Development_hands_out_a_token_the_api_accepts()
    {
        await using var server = await HubServer.StartAsync(environmentName: Environments.Development);

        var response = await server.Client.GetAsync(DevTokenEndpoints.Route.TrimStart('/') + "?tenant=acme&sub=alice&minutes=5").Bounded();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>().Bounded();
        Assert.Equal("acme", body.GetProperty("tenant_id").GetString());
        Assert.Equal("alice", body.GetProperty("sub").GetString());
        var expiresAt = body.GetProperty("expires_at").GetDateTimeOffset();
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddMinutes(4), DateTimeOffset.UtcNow.AddMinutes(6));

        // The token is a tenant user's: an unknown BOM is 404 bom_not_found (not 401, not 403).
        using var status = new HttpRequestMessage(HttpMethod.Get, "api/enrichment/status/unknown-bom");
        status.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("token").GetString());
        var statusResponse = await server.Client.SendAsync(status).Bounded();
        Assert.Equal(HttpStatusCode.NotFound, statusResponse.StatusCode);
        Assert.Contains("bom_not_found", await statusResponse.Content.ReadAsStringAsync().Bounded(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_defaults_to_the_demo_tenant()
    {
        await using var server = await HubServer.StartAsync(environmentName: Environments.Development);
        var body = await server.Client.GetFromJsonAsync<JsonElement>(DevTokenEndpoints.Route.TrimStart('/')).Bounded();
        Assert.Equal(DevTokenEndpoints.DefaultTenant, body.GetProperty("tenant_id").GetString());
    }

    [Theory]
    [InlineData("?tenant=a%20b")]
    [InlineData("?sub=%2A")]
    [InlineData("?minutes=0")]
    [InlineData("?minutes=100000")]
    public async Task Development_refuses_malformed_requests_with_a_problem(string query)
    {
        await using var server = await HubServer.StartAsync(environmentName: Environments.Development);
        var response = await server.Client.GetAsync(DevTokenEndpoints.Route.TrimStart('/') + query).Bounded();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("invalid_dev_token_request", await response.Content.ReadAsStringAsync().Bounded(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_has_no_dev_token_endpoint()
    {
        await using var server = await HubServer.StartAsync();
        var response = await server.Client.GetAsync(DevTokenEndpoints.Route.TrimStart('/')).Bounded();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
