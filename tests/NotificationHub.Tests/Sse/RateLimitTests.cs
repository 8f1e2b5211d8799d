using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Per_user_concurrent_streams_are_capped_and_a_closed_stream_frees_its_slot()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["RateLimiting:PerUserConcurrentConnections"] = "2" });
        await server.PublishAsync("bom-rl", "acme", EnrichmentEventNames.Started);
        var token = server.Token("acme");

        var first = await server.OpenStreamAsync("bom-rl", token);
        await using var second = await server.OpenStreamAsync("bom-rl", token);
        await using (var third = await server.OpenStreamAsync("bom-rl", token))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
            Assert.True(third.Response.Headers.RetryAfter is not null);
            var problem = await third.Response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("rate_limited", problem.GetProperty("code").GetString());
        }

        // Another user of the same tenant is not affected.
        await using (var other = await server.OpenStreamAsync("bom-rl", server.Token("acme", subject: "user-2")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        await first.DisposeAsync();
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        HttpStatusCode status;
        do
        {
            await using var retry = await server.OpenStreamAsync("bom-rl", token);
            status = retry.StatusCode;
            if (status == HttpStatusCode.OK)
            {
                break;
            }

            await Task.Delay(50); // the server notices the closed socket asynchronously
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Per_tenant_concurrent_streams_are_capped()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["RateLimiting:PerTenantConcurrentConnections"] = "1" });
        await server.PublishAsync("bom-rl-t", "acme", EnrichmentEventNames.Started);

        await using var first = await server.OpenStreamAsync("bom-rl-t", server.Token("acme", subject: "a"));
        await using var second = await server.OpenStreamAsync("bom-rl-t", server.Token("acme", subject: "b"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
    }

    [Fact]
    public async Task Per_user_connection_attempts_per_minute_are_capped_with_retry_after()
    {
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["RateLimiting:PerUserConnectionsPerMinute"] = "3" });
        var token = server.Token("acme");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            await using var sse = await server.OpenStreamAsync("bom-unknown", token);
            statuses.Add(sse.StatusCode);
            if (sse.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(sse.Response.Headers.RetryAfter!.Delta!.Value.TotalSeconds >= 1);
            }
        }

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.TooManyRequests], statuses);
    }
}
