using System.Globalization;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// Replica acknowledgement on a master with a replica (the Sentinel setup's pair, connected to directly): appends are
/// acknowledged by a group <c>WAIT</c>, and an event is published live only once a replica has it.
/// </summary>
public sealed class RedisReplicaAckTests : RedisBusTestBase
{
    private RedisSentinelSetup _pair = null!;
    private ConnectionMultiplexer _master = null!;

    public override async Task InitializeAsync()
    {
        _pair = await RedisSentinelSetup.StartAsync();
        _master = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_pair.MasterPort}").WaitAsync(StepTimeout);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _master.DisposeAsync();
        await _pair.DisposeAsync();
    }

    private EnrichmentEventBus CreateBus() =>
        BuildBus(_master, new RedisBusOptions { ReplicaAckTimeout = TimeSpan.FromMilliseconds(500) },
            new EventBusOptions { LogCheckInterval = TimeSpan.FromDays(1) }).Bus;

    [Fact]
    public async Task Concurrent_publishes_to_a_master_with_a_replica_share_few_WAITs_and_are_delivered_once_in_log_order()
    {
        const int publishes = 200;
        var bus = CreateBus();
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);
        var waitsBefore = await WaitCallsAsync();

        var accepted = await Task.WhenAll(Enumerable.Range(1, publishes)
            .Select(i => PublishAsync(bus, bomId, EnrichmentEventNames.Progress, enriched: i % 20)));

        var waits = await WaitCallsAsync() - waitsBefore;
        var received = new List<string>();
        for (var i = 0; i < publishes; i++)
        {
            received.Add((await NextAsync(stream)).EventId);
        }

        // Every publish was acknowledged (none threw); the stream has each once, in the log's order, which is the
        // replica's too.
        var log = (await _master.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(bomId)).WaitAsync(StepTimeout))
            .Select(e => e.Id.ToString()).Skip(1).ToList();
        Assert.Equal(log, received);
        Assert.Equal(log.Order(StringComparer.Ordinal), accepted.Select(e => e.EventId).Order(StringComparer.Ordinal));
        var onReplica = RedisSentinelSetup.Cli(_pair.ReplicaPort, "XLEN", new RedisBusNames(new RedisBusOptions()).LogKey(bomId).ToString());
        Assert.Equal(publishes + 1, int.Parse(onReplica.Trim(), CultureInfo.InvariantCulture));

        // One WAIT per replica round trip, not per publish: the 200 appends arrive pipelined, so most share one.
        Assert.InRange(waits, 1, publishes / 4);
    }

    [Fact]
    public async Task An_event_no_replica_acknowledged_is_not_delivered_live_until_a_replica_has_it()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);

        await RedisSentinelSetup.SignalAsync(_pair.Replica, "-STOP");
        string unacknowledged;
        try
        {
            await Assert.ThrowsAsync<BusUnavailableException>(() => PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1));

            // The master has it (a retry with its idempotency key would be answered its id), the stream does not:
            // nothing was published while no replica had it.
            var log = await _master.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(bomId)).WaitAsync(StepTimeout);
            Assert.Equal(2, log.Length);
            unacknowledged = log[1].Id.ToString();
            Assert.False(stream.TryRead(out var early), $"delivered before a replica had it: {early?.EventId}");
        }
        finally
        {
            await RedisSentinelSetup.SignalAsync(_pair.Replica, "-CONT");
        }

        // Once the replica has it (the group asks again), it goes out live, before the next event and once.
        var next = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 2);
        Assert.Equal(unacknowledged, (await NextAsync(stream)).EventId);
        Assert.Equal(next.EventId, (await NextAsync(stream)).EventId);
        var completed = await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20);
        Assert.Equal([completed.EventId], (await ReadToEndAsync(stream)).Select(e => e.EventId));
    }

    private async Task<long> WaitCallsAsync()
    {
        var info = (string)(await _master.GetDatabase().ExecuteAsync("INFO", "commandstats").WaitAsync(StepTimeout))!;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("cmdstat_wait:calls=", StringComparison.Ordinal))
            {
                return long.Parse(line["cmdstat_wait:calls=".Length..line.IndexOf(',')], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
