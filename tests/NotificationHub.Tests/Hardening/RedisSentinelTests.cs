using System.Diagnostics;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// The hub on Redis Sentinel (<c>serviceName=</c>): a 202 only for an event a replica has, and a master or a replica
/// killed for good under two hub processes (<see cref="TwoHubRun"/>), with publishers retrying 503s with their
/// idempotency keys.
/// </summary>
public sealed class RedisSentinelTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_publish_is_accepted_only_once_a_replica_acknowledged_it()
    {
        await using var sentinel = await RedisSentinelSetup.StartAsync();
        await using var server = await HubServer.StartAsync(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = sentinel.ConnectionString,
            ["Redis:KeyPrefix"] = "nh:",
            ["Worker:Enabled"] = "false",
        });
        var bom = $"bom-{Guid.NewGuid():N}";

        // Accepted means on the replica already: read it there right after the answer.
        var published = await server.PublishAsync(bom, "acme", EnrichmentEventNames.Started).Bounded();
        Assert.Contains(published.EventId, RedisSentinelSetup.Cli(sentinel.ReplicaPort, "XRANGE", $"nh:{{{bom}}}:log", "-", "+"), StringComparison.Ordinal);

        // A replica that does not answer: no acknowledgement within Redis:ReplicaAckTimeout, so 503, not 202.
        await RedisSentinelSetup.SignalAsync(sentinel.Replica, "-STOP");
        try
        {
            await Assert.ThrowsAsync<BusUnavailableException>(() =>
                server.PublishAsync(bom, "acme", EnrichmentEventNames.Progress, 1)).Bounded();
        }
        finally
        {
            await RedisSentinelSetup.SignalAsync(sentinel.Replica, "-CONT");
        }
    }

    [Fact]
    public async Task A_master_killed_for_good_gives_publishers_only_202_or_503_and_clients_every_accepted_event_once_in_order_live_within_10_s_of_the_promotion()
    {
        await using var sentinel = await RedisSentinelSetup.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = sentinel.ConnectionString + ",asyncTimeout=2000,connectTimeout=1000",
            // So that what brings delivery back is the resubscription on the promoted master, not the backstop.
            ["Bus:LogCheckInterval"] = "1.00:00:00",
        };
        await using var run = await TwoHubRun.StartAsync(settings, $"bom-sentinel-{Guid.NewGuid():N}", output);

        var sinceKill = Stopwatch.StartNew();
        sentinel.KillMaster();
        await WaitUntilAsync(() => RedisSentinelSetup.Cli(sentinel.ReplicaPort, "ROLE").StartsWith("master", StringComparison.Ordinal),
            "the sentinels promoted the replica", TimeSpan.FromSeconds(30));
        output.WriteLine($"replica promoted {sinceKill.ElapsedMilliseconds} ms after the kill");
        var liveAfter = await run.LiveAgainAsync();
        output.WriteLine($"live again {sinceKill.ElapsedMilliseconds} ms after the kill");

        // Durability (WAIT + idempotency keys): the promoted master's log is exactly the accepted events.
        await run.FinishAsync(async () =>
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{sentinel.ReplicaPort}").Bounded();
            return [.. (await redis.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(run.BomId)).Bounded())
                .Select(e => e.Id.ToString())];
        });
        Assert.True(liveAfter < TwoHubRun.LiveAgainWithin, $"Live delivery took {liveAfter} after the promotion to resume.");
    }

    [Fact]
    public async Task A_replica_killed_for_good_two_hubs_stay_ready_and_every_client_gets_every_accepted_event_once_in_order()
    {
        await using var sentinel = await RedisSentinelSetup.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = sentinel.ConnectionString + ",asyncTimeout=2000,connectTimeout=1000",
            ["Bus:LogCheckInterval"] = "1.00:00:00",
        };
        await using var run = await TwoHubRun.StartAsync(settings, $"bom-sentinel-{Guid.NewGuid():N}", output);

        // Readiness is polled on both hubs for as long as the replica is gone (to the end of the run).
        using var stopPolling = new CancellationTokenSource();
        var readiness = Task.WhenAll(run.Hubs.Select(hub => TwoHubRun.PollReadinessAsync(hub, stopPolling.Token)));
        sentinel.Replica.Kill();
        await sentinel.Replica.WaitForExitAsync().WaitAsync(TestTimeouts.Default);

        // The replica carried no subscription: delivery never stops (the master's publishes stop waiting for it).
        var liveAfter = await run.LiveAgainAsync();
        await run.FinishAsync(async () =>
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{sentinel.MasterPort}").Bounded();
            return [.. (await redis.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(run.BomId)).Bounded())
                .Select(e => e.Id.ToString())];
        });
        await stopPolling.CancelAsync();
        var answers = await readiness.WaitAsync(TestTimeouts.Default);

        output.WriteLine($"readiness while the replica was gone: {string.Join(", ", answers.SelectMany(a => a).CountBy(s => s))}");
        Assert.All(answers, a => Assert.NotEmpty(a));
        Assert.All(answers.SelectMany(a => a), status => Assert.Equal(System.Net.HttpStatusCode.OK, status));
        Assert.True(liveAfter < TwoHubRun.LiveAgainWithin, $"Live delivery took {liveAfter} to go on."); // the issue's bound; ~1 s on a quiet host, 3.9 s seen in a loaded full run
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < timeout, $"Timed out waiting until {what}.");
            await Task.Delay(50);
        }
    }
}
