using System.Diagnostics;
using System.Net;
using NotificationHub.Tests.Infrastructure;
using static NotificationHub.Tests.Infrastructure.Eventually;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// SIGTERM as Kubernetes sends it: the node turns unready at once, keeps serving (old streams, new streams,
/// publishes) for <c>Shutdown:DrainDelay</c>, then ends its SSE streams with <c>server_shutdown</c> and closes its
/// hub connections; the clients resume on the other node without losing an event, and the node exits 0.
/// </summary>
[Collection("redis")]
public sealed class DrainTests(RedisServerFixture redis)
{
    private static readonly TimeSpan DrainDelay = TimeSpan.FromSeconds(5); // the default; room for a loaded CI machine
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private static string Progress(int step) =>
        $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":10,"processed_items":{{{step}}},"enriched_items":{{{step}}},"percent_complete":{{{step * 10}}}}}""";

    [Fact]
    public async Task Sigterm_turns_readiness_off_first_keeps_serving_for_the_drain_delay_then_clients_resume_on_another_node()
    {
        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString };
        var draining = await HubProcess.StartAsync(new Dictionary<string, string?>(settings)
        {
            ["Shutdown:DrainDelay"] = DrainDelay.ToString(),
            ["Shutdown:DrainTimeout"] = DrainTimeout.ToString(),
        }).WaitAsync(TimeSpan.FromSeconds(40));
        await using var _ = draining;
        await using var other = await HubProcess.StartAsync(settings).WaitAsync(TimeSpan.FromSeconds(40));

        var bom = $"bom-drain-{Guid.NewGuid():N}";
        var ids = new List<string> { await other.PublishJsonAsync(bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":10}}""") };
        var token = other.Token("acme");
        var sse = new FailoverSseWatcher([draining, other], bom, token);
        var hub = new FailoverHubWatcher([draining, other], bom, token);
        var watching = Task.WhenAll(Task.Run(sse.RunAsync), Task.Run(hub.RunAsync));
        await WaitUntilAsync(() => sse.LastId == ids[^1] && hub.LastId == ids[^1], "both clients have the snapshot");

        var stopwatch = Stopwatch.StartNew();
        draining.Terminate();

        // Readiness flips before anything ends: both clients are still on their first connection when it answers 503.
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (await ReadinessAsync(draining) != HttpStatusCode.ServiceUnavailable)
        {
            Assert.True(DateTime.UtcNow < deadline, "Readiness never turned 503.");
            await Task.Delay(20);
        }

        Assert.True(sse.EndReasons.Count == 0 && sse.Connections == 1 && hub.Connections == 1,
            $"A client was moved before readiness flipped ({stopwatch.Elapsed}): ends {string.Join(",", sse.EndReasons)}.");
        Assert.Equal(HttpStatusCode.OK, (await draining.Client.GetAsync("health/live").Bounded()).StatusCode);

        // The draining node still serves: a publish through it reaches the clients where they are, and a stream opened
        // now (a load balancer that has not seen the endpoint removal yet) is accepted and later ends with server_shutdown.
        ids.Add(await draining.PublishJsonAsync(bom, Progress(1)));
        await using var late = await SseConnection.OpenAsync(draining.Client, $"api/enrichment/stream/{bom}?token={token}");
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        await WaitUntilAsync(() => sse.LastId == ids[^1] && hub.LastId == ids[^1], "both clients got the event published during the drain");
        Assert.True(sse.Connections == 1 && hub.Connections == 1, $"A client was moved during the drain delay ({stopwatch.Elapsed}).");

        var lateEvents = new List<SseEvent>();
        while (await late.ReadEventAsync(DrainDelay + DrainTimeout) is { } next)
        {
            lateEvents.Add(next);
            if (next.Event == "stream_end")
            {
                break;
            }
        }

        Assert.Equal("stream_end", lateEvents[^1].Event);
        Assert.Contains("\"server_shutdown\"", lateEvents[^1].Data, StringComparison.Ordinal);

        var exitCode = await draining.WaitForExitAsync(DrainDelay + DrainTimeout + TimeSpan.FromSeconds(5));
        for (var step = 2; step <= 4; step++)
        {
            ids.Add(await other.PublishJsonAsync(bom, Progress(step)));
        }

        ids.Add(await other.PublishJsonAsync(bom, """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":10,"processed_items":10,"enriched_items":10,"percent_complete":100}}"""));
        await watching.WaitAsync(TestTimeouts.Default);

        Assert.Equal(0, exitCode);
        Assert.Equal(["server_shutdown", "completed"], sse.EndReasons);
        Assert.Equal(ids, sse.Ids);
        Assert.Equal(ids, hub.Ids);
        Assert.Equal(2, sse.Connections);
        Assert.Equal(2, hub.Connections);
    }

    private static async Task<HttpStatusCode> ReadinessAsync(HubProcess node)
    {
        using var response = await node.Client.GetAsync("health/ready").Bounded();
        return response.StatusCode;
    }
}
