using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using NotificationHub.Bus.Redis;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// The case <c>Idempotency-Key</c> exists for: a publish times out (503) although Redis ran it after all, and the
/// publisher retries it.
/// </summary>
public sealed class IdempotentRetryTests
{
    [Fact]
    public async Task A_publish_that_timed_out_but_was_appended_later_retried_with_its_key_gives_one_event_with_the_first_id()
    {
        await using var redis = await PrivateRedisServer.StartAsync(persistent: false);
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            // The hub gives up on a Redis command after 1 s.
            ["Redis:ConnectionString"] = redis.ConnectionString + ",asyncTimeout=1000",
            ["Worker:Enabled"] = "false",
        });
        var bom = $"bom-{Guid.NewGuid():N}";
        var (started, _) = await PublishAsync(server, bom, "enrichment.started", key: null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);

        // Redis holds every command for 3 s (CLIENT PAUSE queues them and runs them afterwards): the append times out
        // in the hub, which answers 503, and Redis appends the event once the pause ends.
        var port = int.Parse(redis.ConnectionString.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("OK", RedisSentinelSetup.Cli(port, "CLIENT", "PAUSE", "3000", "ALL").Trim());
        var (timedOut, _) = await PublishAsync(server, bom, "progress", key: "step-1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.NotNull(timedOut.Headers.RetryAfter);

        await using var reader = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).Bounded();
        var logKey = new RedisBusNames(new RedisBusOptions()).LogKey(bom);
        var deadline = Stopwatch.StartNew();
        StreamEntry[] log;
        while ((log = await reader.GetDatabase().StreamRangeAsync(logKey).Bounded()).Length < 2)
        {
            Assert.True(deadline.Elapsed < TestTimeouts.Default, "The timed-out append never ran.");
            await Task.Delay(50);
        }

        // The retry with the same key: 202 with the id of the append that timed out, and nothing appended.
        var (retried, retriedId) = await PublishAsync(server, bom, "progress", key: "step-1");
        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(log[1].Id.ToString(), retriedId);
        Assert.Equal(2, await reader.GetDatabase().StreamLengthAsync(logKey).Bounded());
    }

    private static async Task<(HttpResponseMessage Response, string? EventId)> PublishAsync(HubServer server, string bom, string eventType, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent(
                $$$"""{"event_type":"{{{eventType}}}","tenant_id":"acme","state":{"total_items":10,"processed_items":1,"enriched_items":1}}""",
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", server.PublisherToken());
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        var response = await server.Client.SendAsync(request).Bounded();
        var body = await response.Content.ReadAsStringAsync();
        return (response, response.StatusCode == HttpStatusCode.Accepted
            ? JsonDocument.Parse(body).RootElement.GetProperty("event_id").GetString()
            : null);
    }
}
