using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// A Redis that stops answering for 8 s (SIGSTOP, then SIGCONT) under two hub processes that run jobs (the default)
/// and a standalone worker process: every process survives; the status endpoint answers 503, never 500; publishers
/// that retry 503s with their idempotency key get only 202/503; SSE and SignalR clients get every accepted event
/// once, in order; a job running through the stall completes.
/// </summary>
public sealed class RedisStallTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_redis_stall_stops_no_process_and_loses_or_repeats_no_accepted_event()
    {
        await using var redis = await PrivateRedisServer.StartAsync(persistent: false);
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Worker:ItemLatency"] = "00:00:00.100",
            ["Worker:MinProgressInterval"] = "00:00:00",
            ["JobQueue:PollInterval"] = "00:00:00.050",
            ["Jobs:UsersMayCreateBoms"] = "true", // the user's start creates the job's BOM, as in Development
        };
        await using var a = await HubProcess.StartAsync(settings);
        await using var b = await HubProcess.StartAsync(settings);
        await using var worker = await WorkerProcess.StartAsync(settings);
        var nodes = new[] { a, b };

        var bom = $"bom-stall-{Guid.NewGuid():N}";
        var publisher = new RetryingPublisher(a, bom);
        var startedId = await publisher.PublishAsync("enrichment.started", 0, RunTimeout);
        var token = a.Token("acme");
        var sse = Task.Run(() => CollectSseAsync(b, bom, token, startedId));
        var signalR = Task.Run(() => CollectSignalRAsync(b, bom, token, startedId));

        // A job that runs through the stall (40 items × 100 ms), on whichever process takes it.
        var jobBom = $"bom-stall-job-{Guid.NewGuid():N}";
        using (var start = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{jobBom}/start?token={token}")
        {
            Content = JsonContent(new { items = Enumerable.Range(0, 40).Select(i => new { mpn = $"MPN-{i}" }) }),
        })
        {
            using var started = await a.Client.SendAsync(start).Bounded();
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        }

        // Publish and poll the status on both nodes before, during and after the stall.
        using var stop = new CancellationTokenSource();
        var statuses = new ConcurrentQueue<int>();
        var polls = nodes.Select(node => Task.Run(() => PollStatusAsync(node, bom, token, statuses, stop.Token))).ToArray();
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                await publisher.PublishAsync("progress", i, RunTimeout);
                await Task.Delay(50);
            }
        });

        await Task.Delay(500); // some traffic on a healthy Redis first
        await redis.PauseAsync();
        await Task.Delay(Stall); // the fault's length is the point here, not a synchronisation
        await redis.ResumeAsync();
        await Task.Delay(2000); // and traffic after it
        await stop.CancelAsync();
        await publishing.WaitAsync(RunTimeout);
        await Task.WhenAll(polls).WaitAsync(RunTimeout);
        await publisher.PublishAsync("enrichment.completed", 999, RunTimeout);

        Assert.All(publisher.Statuses, s => Assert.True(s is 202 or 503 or 0, $"publish answered {s}"));
        Assert.All(statuses, s => Assert.True(s is 200 or 503 or 0, $"status answered {s}"));
        Assert.Contains(503, statuses);
        Assert.Contains(503, publisher.Statuses);

        var viaSse = await sse.WaitAsync(RunTimeout);
        var viaSignalR = await signalR.WaitAsync(RunTimeout);
        var expected = publisher.Accepted.Skip(1).ToList(); // after started, where the clients resumed
        Assert.Equal(expected, viaSse);
        Assert.Equal(expected, viaSignalR);

        await WaitForJobEndAsync(b, jobBom, token);
        Assert.False(a.HasExited, "hub a exited");
        Assert.False(b.HasExited, "hub b exited");
        Assert.False(worker.HasExited, "the worker exited");
    }

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");

    private static async Task PollStatusAsync(HubProcess node, string bom, string token, ConcurrentQueue<int> statuses, CancellationToken stop)
    {
        using var client = new HttpClient { BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromSeconds(15) };
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"api/enrichment/status/{bom}?token={token}", CancellationToken.None);
                statuses.Enqueue((int)response.StatusCode);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                statuses.Enqueue(0);
            }

            await Task.Delay(200, CancellationToken.None);
        }
    }

    private static async Task WaitForJobEndAsync(HubProcess node, string bom, string token)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (true)
        {
            using var response = await node.Client.GetAsync($"api/enrichment/status/{bom}?token={token}").Bounded();
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK
                && JsonDocument.Parse(body).RootElement.GetProperty("status").GetString() == "completed")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The job did not complete: {body}");
            await Task.Delay(200);
        }
    }

    /// <summary>Bus event ids over SSE until the terminal event, reconnecting with Last-Event-ID if the stream drops.</summary>
    internal static async Task<List<string>> CollectSseAsync(HubProcess node, string bom, string token, string after)
    {
        var ids = new List<string>();
        var deadline = DateTime.UtcNow + RunTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var sse = await SseConnection.OpenAsync(node.Client, $"api/enrichment/stream/{bom}?token={token}", ids.LastOrDefault() ?? after);
                if (sse.StatusCode != HttpStatusCode.OK)
                {
                    await Task.Delay(500);
                    continue;
                }

                while (await sse.ReadEventAsync(RunTimeout) is { } next)
                {
                    if (next.Event == "stream_end")
                    {
                        return ids;
                    }

                    if (next.Id is not null)
                    {
                        ids.Add(next.Id);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or TimeoutException or TaskCanceledException)
            {
                // Dropped: resume from the last id.
            }
        }

        throw new TimeoutException($"SSE got {ids.Count} events and no stream_end.");
    }

    /// <summary>Bus event ids over SignalR until the terminal event, resubscribing from the last id after a reconnect.</summary>
    internal static async Task<List<string>> CollectSignalRAsync(HubProcess node, string bom, string token, string after)
    {
        var ids = new List<string>();
        var events = Channel.CreateUnbounded<WireEvent?>();
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(node.BaseAddress, "hubs/enrichment"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
            })
            .Build();
        connection.On<JsonElement>("EnrichmentEvent", m => events.Writer.TryWrite(WireEvent.FromJson(m)));
        connection.Closed += _ => { events.Writer.TryWrite(null); return Task.CompletedTask; };
        using var deadline = new CancellationTokenSource(RunTimeout);
        while (true)
        {
            try
            {
                if (connection.State == HubConnectionState.Disconnected)
                {
                    await connection.StartAsync(deadline.Token);
                }

                await connection.InvokeAsync<JsonElement>("SubscribeBom", bom, ids.LastOrDefault() ?? after, deadline.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await Task.Delay(500, deadline.Token); // e.g. bus_unavailable: retry
                continue;
            }

            while (await events.Reader.ReadAsync(deadline.Token) is { } next)
            {
                if (next.Event == "stream_end")
                {
                    return ids;
                }

                if (next.Id is not null)
                {
                    ids.Add(next.Id);
                }
            }
        }
    }
}
