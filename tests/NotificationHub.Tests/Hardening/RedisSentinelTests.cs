using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// The hub on Redis Sentinel (<c>serviceName=</c>): a 202 only for an event a replica has, and a master killed for good
/// under two hub processes, with publishers retrying 503s with their idempotency keys.
/// </summary>
public sealed class RedisSentinelTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

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
    public async Task A_master_killed_for_good_gives_publishers_only_202_or_503_and_clients_every_accepted_event_once()
    {
        await using var sentinel = await RedisSentinelSetup.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = sentinel.ConnectionString + ",asyncTimeout=2000,connectTimeout=1000",
        };
        await using var a = await HubProcess.StartAsync(settings);
        await using var b = await HubProcess.StartAsync(settings);

        var bom = $"bom-sentinel-{Guid.NewGuid():N}";
        var publisher = new RetryingPublisher(a, bom);
        var startedId = await publisher.PublishAsync("enrichment.started", 0, RunTimeout);
        var token = a.Token("acme");
        var sse = Task.Run(() => RedisStallTests.CollectSseAsync(b, bom, token, startedId));
        var signalR = Task.Run(() => RedisStallTests.CollectSignalRAsync(b, bom, token, startedId));

        using var stop = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            for (var i = 1; !stop.IsCancellationRequested; i++)
            {
                await publisher.PublishAsync("progress", i, RunTimeout);
                await Task.Delay(50);
            }
        });

        await Task.Delay(500);
        sentinel.KillMaster();
        await Task.Delay(TimeSpan.FromSeconds(6)); // down-after 1 s + election + promotion; the fault's length, not a sync
        await stop.CancelAsync();
        await publishing.WaitAsync(RunTimeout);
        await publisher.PublishAsync("enrichment.completed", 999, RunTimeout);

        Assert.All(publisher.Statuses, s => Assert.True(s is 202 or 503 or 0, $"publish answered {s}"));
        var expected = publisher.Accepted.Skip(1).ToList();

        // Durability (this branch: WAIT + idempotency keys): every accepted event is in the new master's log, once.
        Assert.Equal(expected, await RedisStallTests.CollectSseAsync(a, bom, token, startedId).WaitAsync(RunTimeout));

        // Live delivery through the failover: the clients that stayed connected get the events published after the
        // promotion once the node subscribed its BOMs again on the promoted master (per-subscription recovery).
        Assert.Equal(expected, await sse.WaitAsync(RunTimeout));
        Assert.Equal(expected, await signalR.WaitAsync(RunTimeout));
        Assert.False(a.HasExited, "hub a exited");
        Assert.False(b.HasExited, "hub b exited");
    }
}
