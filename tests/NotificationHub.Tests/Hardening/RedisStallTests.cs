using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using NotificationHub.Bus.Redis;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// A Redis that stops answering for 8 s (SIGSTOP, then SIGCONT) under two hub processes that run jobs (the default)
/// and a standalone worker process: every process survives; the status endpoint answers 503, never 500; publishers
/// that retry 503s with their idempotency key get only 202/503; SSE and SignalR clients (<see cref="TwoHubRun"/>) get
/// every accepted event once, in order, and live events again within 10 s of the stall's end; a job running through
/// the stall completes.
/// </summary>
public sealed class RedisStallTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_redis_stall_stops_no_process_and_loses_or_repeats_no_accepted_event_and_live_delivery_resumes_within_10_s()
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
        await using var run = await TwoHubRun.StartAsync(settings, $"bom-stall-{Guid.NewGuid():N}", output);
        await using var worker = await WorkerProcess.StartAsync(settings);
        var (a, b) = (run.Hubs[0], run.Hubs[1]);
        var token = a.Token("acme");

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

        // Poll the status on both nodes before, during and after the stall.
        using var stop = new CancellationTokenSource();
        var statuses = new ConcurrentQueue<int>();
        var polls = run.Hubs.Select(node => Task.Run(() => PollStatusAsync(node, run.BomId, token, statuses, stop.Token))).ToArray();

        await Task.Delay(500); // some traffic on a healthy Redis first; the publisher and the polls run meanwhile
        await redis.PauseAsync();
        await Task.Delay(Stall); // the fault's length is the point here, not a synchronisation
        await redis.ResumeAsync();
        var liveAfter = await run.LiveAgainAsync();
        await stop.CancelAsync();
        await Task.WhenAll(polls).WaitAsync(RunTimeout);
        await run.FinishAsync(async () =>
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString).Bounded();
            return [.. (await connection.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(run.BomId)).Bounded())
                .Select(e => e.Id.ToString())];
        });

        Assert.All(statuses, s => Assert.True(s is 200 or 503, $"status answered {s}"));
        Assert.Contains(503, statuses);
        Assert.Contains(HttpStatusCode.ServiceUnavailable, run.Statuses);
        Assert.True(liveAfter < TwoHubRun.LiveAgainWithin, $"Live delivery took {liveAfter} after the stall to resume.");

        await WaitForJobEndAsync(b, jobBom, token);
        Assert.False(worker.HasExited, "the worker exited");
        Assert.All(run.Hubs, hub => Assert.False(hub.HasExited, "a hub exited"));
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
}
