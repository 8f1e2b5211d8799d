using Microsoft.AspNetCore.Http.Connections;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// A hub process whose Redis was killed (SIGKILL) just before the hub gets SIGTERM, as when <c>docker-compose down</c>
/// stops both: the stop still exits 0, and its log has no unhandled exception.
/// </summary>
public sealed class RedisGoneShutdownTests
{
    [Theory]
    [InlineData("killed")]
    [InlineData("frozen")]
    public async Task A_hub_stopped_after_its_redis_died_exits_0_with_a_clean_log(string how)
    {
        await using var redis = await PrivateRedisServer.StartAsync(persistent: false);
        await using var node = await HubProcess.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000",
            ["Shutdown:DrainTimeout"] = "00:00:02",
            ["Worker:Enabled"] = "false", // a hub node of a scaled-out deployment: the job worker's Redis faults are not this test's
        });

        // A SignalR connection, so the backplane has subscriptions to drop at shutdown.
        var bom = $"bom-gone-{Guid.NewGuid():N}";
        await node.PublishJsonAsync(bom, """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":3}}""");
        await using (var client = await HubClient.ConnectAsync(new Uri(node.BaseAddress, "hubs/enrichment"), node.Token("acme"), transport: HttpTransportType.WebSockets))
        {
            await client.SubscribeAsync(bom);
            Assert.NotNull(await client.NextAsync()); // the snapshot: the pump is live

            if (how == "killed")
            {
                await redis.KillAsync();
                await WaitUntilUnreadyAsync(node); // the node has noticed: its Redis connections are down
            }
            else
            {
                await redis.PauseAsync(); // the sockets stay open: every Redis call now times out
            }

            node.Terminate();
            var exitCode = await node.WaitForExitAsync(TimeSpan.FromSeconds(30));

            var log = string.Join('\n', node.Output);
            Assert.True(exitCode == 0, $"exit code {exitCode}; log:\n{log}");
            Assert.DoesNotContain("Unhandled exception", log, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("crit:", log, StringComparison.Ordinal);

            Assert.DoesNotContain("Failed disposing connection", log, StringComparison.Ordinal); // SignalR's error when a disconnect throws
        }
    }

    private static async Task WaitUntilUnreadyAsync(HubProcess node)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (true)
        {
            using var ready = await node.Client.GetAsync("health/ready").Bounded();
            if (ready.StatusCode != System.Net.HttpStatusCode.OK)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "The node stayed ready with its Redis killed.");
            await Task.Delay(50);
        }
    }
}
