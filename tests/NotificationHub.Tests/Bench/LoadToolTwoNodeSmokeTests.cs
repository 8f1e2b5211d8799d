using NotificationHub.LoadTest;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Bench;

/// <summary>
/// The load tool against two nodes of one deployment (<c>--url A,B</c>, as bench/two-hubs.sh runs it): subscribers and
/// publishes alternate between the nodes, so half of every BOM's events are published on the node its subscriber is
/// not on and must cross the Redis bus. Counting, not speed.
/// </summary>
[Collection("redis")]
public sealed class LoadToolTwoNodeSmokeTests(RedisServerFixture redis)
{
    [Fact]
    public async Task A_tiny_run_over_two_nodes_receives_every_event_once()
    {
        var settings = new Dictionary<string, string?> { ["Redis:ConnectionString"] = redis.ConnectionString, ["Worker:Enabled"] = "false" };
        await using var a = await HubServer.StartAsync(settings);
        await using var b = await HubServer.StartAsync(settings);
        var options = LoadOptions.Parse([
            "--label", "smoke-two-nodes", "--url", $"{a.BaseAddress},{b.BaseAddress}", "--signing-key", HubServer.SigningKey,
            "--sse", "4", "--boms", "1", "--events", "10", "--warmup", "1", "--settle", "0", "--drain", "5", "--max-seconds", "30",
        ]);
        using var log = new StringWriter();

        var result = await new LoadRun(options, log).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(45));

        Assert.Equal(4, result.ConnectionsHeld);
        Assert.Equal(40, result.Expected);
        Assert.Equal(40, result.Received);
        Assert.Equal(0, result.Duplicates);
        Assert.Equal(0, result.Gaps);
        Assert.Equal(0, result.PublishFailures);

        // Both nodes took publishes and delivered to subscribers of their own. Polled: the Prometheus exporter may
        // answer a scrape from the response it cached for the load tool's own scrape a moment before.
        foreach (var node in new[] { a, b })
        {
            await Eventually.WaitUntilAsync(async () =>
            {
                var metrics = await node.Client.GetStringAsync("metrics");
                return Counter(metrics, "notificationhub_events_published_total") > 0 && Counter(metrics, "notificationhub_events_delivered_total") > 0;
            }, $"publishes and deliveries counted on {node.BaseAddress}");
        }
    }

    private static double Counter(string metrics, string name) => metrics.Split('\n')
        .Where(l => l.StartsWith(name, StringComparison.Ordinal))
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
