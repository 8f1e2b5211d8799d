using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Sse;

public sealed class RedisFaultTests
{
    [Fact]
    public async Task Publishing_while_redis_is_down_fails_with_503_not_silently()
    {
        var redis = new RedisServerFixture();
        await redis.InitializeAsync();
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString });
        await redis.DisposeAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/enrichment/bom-down/events")
        {
            Content = new StringContent("""{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":1}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.PublisherToken());
        using var response = await server.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bus_unavailable", problem.GetProperty("code").GetString());
    }
}
