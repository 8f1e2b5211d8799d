using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NotificationHub.Server.Hubs;
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

        await AssertBusUnavailableAsync(response);
    }

    [Fact]
    public async Task Every_endpoint_answers_503_with_retry_after_while_redis_is_down_and_the_hub_names_the_error()
    {
        var redis = new RedisServerFixture();
        await redis.InitializeAsync();
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString + ",connectTimeout=500,asyncTimeout=1000",
            ["Worker:Enabled"] = "false",
        });
        var token = server.Token("acme");

        // Connected while Redis is up (a hub connect never fails on Redis: a backplane failure there is only logged); SubscribeBom is what fails.
        await using var hub = new HubConnectionBuilder()
            .WithUrl(server.HubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        await hub.StartAsync().Bounded();
        await redis.DisposeAsync();

        foreach (var (method, path, body) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, $"api/enrichment/status/bom-down?token={token}", null),
            (HttpMethod.Get, $"api/enrichment/stream/bom-down?token={token}", null),
            (HttpMethod.Get, $"api/enrichment/stream?bom_id=bom-down&bom_id=bom-down-2&token={token}", null),
            (HttpMethod.Post, $"api/enrichment/bom-down/start?token={token}", """{"items":[{"mpn":"LM358DR"}]}"""),
            (HttpMethod.Post, $"api/enrichment/bom-down/cancel?token={token}", null),
        })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new("Bearer", token);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }

            using var response = await server.Client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(20));
            await AssertBusUnavailableAsync(response, path);
        }

        var error = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<JsonElement>("SubscribeBom", "bom-down", null)).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Contains(EnrichmentHub.BusUnavailableMessage, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("bus_unavailable", EnrichmentHub.BusUnavailableMessage, StringComparison.Ordinal);
    }

    private static async Task AssertBusUnavailableAsync(HttpResponseMessage response, string what = "publish")
    {
        Assert.True(HttpStatusCode.ServiceUnavailable == response.StatusCode, $"{what}: {(int)response.StatusCode}");
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("bus_unavailable", problem.GetProperty("code").GetString());
    }
}
