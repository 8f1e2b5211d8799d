using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Ops;

/// <summary>
/// The shipped nginx.conf in front of two hub processes on one Redis: 2,000 SSE streams and 200 SignalR connections
/// through it (more than the 512 connections nginx gave with <c>events {}</c>), publishes through it too, and every
/// client gets every event once, in order, ending with <c>stream_end</c> <c>completed</c>.
/// </summary>
[Collection("redis")]
public sealed class NginxLoadBalancerTests(RedisServerFixture redis)
{
    private const int Boms = 20;
    private const int SseStreams = 2000;
    private const int HubConnections = 200;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Two_thousand_sse_streams_and_two_hundred_signalr_connections_through_the_shipped_nginx_get_every_event()
    {
        var elapsed = Stopwatch.StartNew();
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["RateLimiting:PerUserConcurrentConnections"] = "100000",
            ["RateLimiting:PerTenantConcurrentConnections"] = "100000",
            ["RateLimiting:PerUserConnectionsPerMinute"] = "100000",
        };
        var hubs = await Task.WhenAll(HubProcess.StartAsync(settings), HubProcess.StartAsync(settings)).WaitAsync(TimeSpan.FromSeconds(40));
        await using var hub1 = hubs[0];
        await using var hub2 = hubs[1];
        await using var nginx = await NginxProcess.StartAsync([hub1.BaseAddress, hub2.BaseAddress]);
        using var lb = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = nginx.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan, // streams stay open; every await below is bounded
        };
        using var cancel = new CancellationTokenSource(Bound);

        var run = Guid.NewGuid().ToString("N")[..8];
        var boms = Enumerable.Range(0, Boms).Select(i => $"bom-lb-{run}-{i}").ToArray();
        var expected = boms.ToDictionary(bom => bom, _ => new List<string>());
        var publisher = hub1.PublisherToken();
        var token = hub1.Token("acme");
        foreach (var bom in boms)
        {
            expected[bom].Add(await PublishAsync(lb, publisher, bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":3}}"""));
        }

        // Every client reads until its terminal stream_end; each signals once it has the snapshot (the started event).
        var subscribed = 0;
        using var opening = new SemaphoreSlim(100);
        var sseClients = Enumerable.Range(0, SseStreams).Select(i => Task.Run(async () =>
        {
            var bom = boms[i % Boms];
            await opening.WaitAsync(cancel.Token);
            SseConnection stream;
            try
            {
                stream = await SseConnection.OpenAsync(lb, $"api/enrichment/stream/{bom}?token={token}");
            }
            finally
            {
                opening.Release();
            }

            await using (stream)
            {
                Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
                var ids = new List<string>();
                while (await stream.ReadEventAsync(Bound) is { } next)
                {
                    if (next.Event == "stream_end")
                    {
                        return (bom, ids, JsonDocument.Parse(next.Data).RootElement.GetProperty("reason").GetString());
                    }

                    if (next.Id is not null)
                    {
                        ids.Add(next.Id);
                        if (ids.Count == 1)
                        {
                            Interlocked.Increment(ref subscribed);
                        }
                    }
                }

                return (bom, ids, (string?)"closed without stream_end");
            }
        })).ToList();

        var hubClients = Enumerable.Range(0, HubConnections).Select(i => Task.Run(async () =>
        {
            var bom = boms[i % Boms];
            var events = Channel.CreateUnbounded<(string? Id, string Event, string? Reason)>();
            await using var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(nginx.BaseAddress, "hubs/enrichment"), options =>
                {
                    options.AccessTokenProvider = () => Task.FromResult<string?>(token);
                    options.Transports = HttpTransportType.WebSockets; // after negotiate: ip_hash keeps both on one node
                })
                .Build();
            connection.On<JsonElement>("EnrichmentEvent", message => events.Writer.TryWrite((
                message.GetProperty("id").ValueKind == JsonValueKind.Null ? null : message.GetProperty("id").GetString(),
                message.GetProperty("event").GetString()!,
                message.GetProperty("data").TryGetProperty("reason", out var reason) ? reason.GetString() : null)));
            await opening.WaitAsync(cancel.Token);
            try
            {
                await connection.StartAsync(cancel.Token);
                await connection.InvokeAsync<JsonElement>("SubscribeBom", bom, null, cancel.Token);
            }
            finally
            {
                opening.Release();
            }

            var ids = new List<string>();
            while (true)
            {
                var next = await events.Reader.ReadAsync(cancel.Token);
                if (next.Event == "stream_end")
                {
                    return (bom, ids, next.Reason);
                }

                if (next.Id is not null)
                {
                    ids.Add(next.Id);
                    if (ids.Count == 1)
                    {
                        Interlocked.Increment(ref subscribed);
                    }
                }
            }
        })).ToList();

        while (Volatile.Read(ref subscribed) < SseStreams + HubConnections)
        {
            var failed = sseClients.Concat<Task>(hubClients).FirstOrDefault(client => client.IsFaulted);
            if (failed is not null)
            {
                await failed; // its exception, as it is
            }

            Assert.False(cancel.IsCancellationRequested,
                $"Only {subscribed} of {SseStreams + HubConnections} clients subscribed within {Bound}. nginx: {nginx.ErrorLog()}");
            await Task.Delay(50, CancellationToken.None);
        }

        for (var step = 1; step <= 3; step++)
        {
            foreach (var bom in boms)
            {
                expected[bom].Add(await PublishAsync(lb, publisher, bom,
                    $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":3,"processed_items":{{{step}}},"enriched_items":{{{step}}}}}"""));
            }
        }

        foreach (var bom in boms)
        {
            expected[bom].Add(await PublishAsync(lb, publisher, bom,
                """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":3,"processed_items":3,"enriched_items":3}}"""));
        }

        var sseResults = await Task.WhenAll(sseClients).WaitAsync(Bound);
        var hubResults = await Task.WhenAll(hubClients).WaitAsync(Bound);
        Assert.All(sseResults, result =>
        {
            Assert.Equal("completed", result.Item3);
            Assert.Equal(expected[result.bom], result.ids);
        });
        Assert.All(hubResults, result =>
        {
            Assert.Equal("completed", result.Item3);
            Assert.Equal(expected[result.bom], result.ids);
        });
        Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(90), $"The run took {elapsed.Elapsed}."); // a hang shows here, not as a CI timeout
    }

    private static async Task<string> PublishAsync(HttpClient lb, string token, string bom, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bom}/events")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await lb.SendAsync(request).Bounded();
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("event_id").GetString()!;
    }
}
