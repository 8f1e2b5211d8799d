using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Bus;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;
using static NotificationHub.Tests.Infrastructure.Eventually;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// Redis Cluster nodes die under running hubs (each test has a cluster of its own). Only the subscriptions a lost
/// node carried are interrupted; each comes back on whatever node serves its channel now, without the lost node ever
/// returning. Two hub processes with SSE and SignalR clients keep every accepted event, once, in order.
/// </summary>
public sealed class RedisClusterFaultTests(ITestOutputHelper output)
{

    /// <summary>A BOM id whose slot the given master serves.</summary>
    private static async Task<string> BomOnAsync(RedisCluster cluster, RedisClusterNode master)
    {
        for (var i = 0; ; i++)
        {
            var bomId = $"bom-{Guid.NewGuid():N}";
            if ((await cluster.MasterOfAsync(await cluster.KeySlotAsync(bomId))).Port == master.Port)
            {
                return bomId;
            }

            Assert.True(i < 100, "No BOM id found on the master.");
        }
    }

    [Fact]
    public async Task Losing_a_replica_interrupts_nothing_and_losing_a_master_interrupts_only_its_subscriptions_until_resubscribed_on_the_promoted_replica()
    {
        await using var cluster = await RedisCluster.StartAsync();
        var logs = new CapturingLoggerProvider();
        var clock = Stopwatch.StartNew();
        var config = ConfigurationOptions.Parse(cluster.ConnectionString);
        config.LoggerFactory = new Microsoft.Extensions.Logging.LoggerFactory([logs]);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(config).Bounded();
        var logsAtStart = logs.Entries.Count;
        var events = new ConcurrentQueue<string>();
        redis.ConnectionFailed += (_, e) => events.Enqueue($"{clock.ElapsedMilliseconds} failed {e.EndPoint} {e.ConnectionType} {e.FailureType} {e.Exception?.Message}");
        redis.ConnectionRestored += (_, e) => events.Enqueue($"{clock.ElapsedMilliseconds} restored {e.EndPoint} {e.ConnectionType}");
        redis.ConfigurationChanged += (_, e) => events.Enqueue($"{clock.ElapsedMilliseconds} config changed {e.EndPoint}");
        redis.InternalError += (_, e) => events.Enqueue($"{clock.ElapsedMilliseconds} internal error {e.EndPoint} {e.Origin} {e.Exception?.Message}");
        redis.ServerMaintenanceEvent += (_, e) => events.Enqueue($"{clock.ElapsedMilliseconds} maintenance {e}");
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var busOptions = Options.Create(new EventBusOptions());
        var backend = new RedisEventBusBackend(redis, Options.Create(new RedisBusOptions { ReplicaAckTimeout = TimeSpan.FromSeconds(5) }), busOptions, config.LoggerFactory.CreateLogger<RedisEventBusBackend>());
        var bus = new EnrichmentEventBus(backend, busOptions, NullLogger<EnrichmentEventBus>.Instance,
            new BusMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System);

        // One watched BOM on each shard.
        var masters = await cluster.MastersAsync();
        var subscriptions = new List<(string BomId, RedisClusterNode Master, RecordingSink Sink, ConcurrentQueue<string> Messages)>();
        foreach (var master in masters)
        {
            var bomId = await BomOnAsync(cluster, master);
            await BusTest.PublishAsync(bus, bomId, EnrichmentEventNames.Started);
            var messages = new ConcurrentQueue<string>();
            var sink = new RecordingSink(messages.Enqueue);
            // Not disposed: the multiplexer goes away with the test.
            _ = await backend.SubscribeAsync(bomId, sink, default).AsTask().Bounded();
            subscriptions.Add((bomId, master, sink, messages));
            Assert.Equal(master.EndPoint, redis.GetSubscriber().SubscribedEndpoint(backend.Names.Channel(bomId, sharded: true))?.ToString());
        }

        async Task PublishEverywhereAsync(int step)
        {
            foreach (var (bomId, _, _, messages) in subscriptions)
            {
                var published = await BusTest.PublishAsync(bus, bomId, EnrichmentEventNames.Progress, step);
                await WaitUntilAsync(() => messages.Any(m => m.Contains(published.EventId, StringComparison.Ordinal)), $"{bomId} got {published.EventId}");
            }
        }

        await PublishEverywhereAsync(1);

        // A replica dies for good: it carries no subscription, so nothing is interrupted and delivery goes on.
        var replica = await cluster.ReplicaOfAsync(masters[0]);
        await replica.KillAsync();
        await WaitUntilAsync(() => cluster.TopologyAsync().Result.Any(n => n.Port == replica.Port && n.IsFailed), "the cluster marks the replica failed");
        await PublishEverywhereAsync(2);
        Assert.All(subscriptions, s => Assert.Equal(0, s.Sink.Interruptions));

        // A master dies for good: only its shard's subscription is interrupted, and restored once its replica was
        // promoted and the channel subscribed there, without the old master ever coming back.
        var (lostBom, lostMaster, lostSink, lostMessages) = subscriptions[1];
        var promoted = await cluster.ReplicaOfAsync(lostMaster);
        await lostMaster.KillAsync();
        await WaitUntilAsync(() => lostSink.Restores == 1, "the lost master's subscription is restored", TwoHubRun.LiveAgainWithin);
        Assert.Equal(1, lostSink.Interruptions);
        Assert.All(subscriptions.Where(s => s.BomId != lostBom), s => Assert.Equal(0, s.Sink.Interruptions));
        Assert.Equal(promoted.EndPoint, redis.GetSubscriber().SubscribedEndpoint(backend.Names.Channel(lostBom, sharded: true))?.ToString());

        // The restored subscription hears the promoted master's publishes (retried while the cluster settles).
        await WaitUntilAsync(() =>
        {
            try
            {
                var published = BusTest.PublishAsync(bus, lostBom, EnrichmentEventNames.Progress, 3).GetAwaiter().GetResult();
                return SpinWait.SpinUntil(() => lostMessages.Any(m => m.Contains(published.EventId, StringComparison.Ordinal)), 2000);
            }
            catch (Exception ex) when (ex is BusUnavailableException or RedisException)
            {
                return false;
            }
        }, "a publish on the failed-over shard is heard", TwoHubRun.LiveAgainWithin);

        // Later on, the other shards' subscriptions must still never have been interrupted. This check once failed in
        // a loaded run (commit d30a70b) and did not fail again in 30 runs under load (load average 10-28). A
        // subscription is interrupted only when the subscription connection of an endpoint that may carry it fails
        // (RedisBusSubscription.MayBeOn). Not excluded: the library failing a healthy connection of a starved process,
        // or a false failover of another master on a host too starved to answer within cluster-node-timeout (1 s
        // here). The message carries the topology and the connection events to tell which.
        await PublishEverywhereAsync(4);
        var topology = (await cluster.TopologyAsync()).Select(n =>
            $"{n.Port} {(n.IsMaster ? "master" : "replica")}{(n.IsFailed ? " failed" : "")} {string.Join(",", n.Slots.Select(r => $"{r.From}-{r.To}"))}");
        var libraryLog = logs.Entries.Skip(logsAtStart).Where(e => e.Level >= LogLevel.Information)
            .Select(e => $"{e.Level} {e.Category} {e.Message} {e.Exception?.Message}");
        var state = subscriptions.Select(s =>
            $"{s.BomId} on {s.Master.EndPoint}: {s.Sink.Interruptions} interrupted, {s.Sink.Restores} restored, now on {redis.GetSubscriber().SubscribedEndpoint(backend.Names.Channel(s.BomId, sharded: true))}");
        var diag = string.Join("\n", [.. topology, .. events, .. libraryLog, .. state]);
        output.WriteLine(diag);
        Assert.True(subscriptions.Where(s => s.BomId != lostBom).All(s => s.Sink.Interruptions == 0), diag);
    }

    [Fact]
    public async Task A_shard_channel_that_moved_with_its_slot_is_interrupted_and_recovered_when_its_new_master_dies()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString).Bounded();
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var busOptions = Options.Create(new EventBusOptions());
        var backend = new RedisEventBusBackend(redis, Options.Create(new RedisBusOptions { ReplicaAckTimeout = TimeSpan.FromSeconds(5) }), busOptions, NullLogger<RedisEventBusBackend>.Instance);
        var bus = new EnrichmentEventBus(backend, busOptions, NullLogger<EnrichmentEventBus>.Instance,
            new BusMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System);
        var masters = await cluster.MastersAsync();
        var (source, target) = (masters[0], masters[1]);
        var bomId = await BomOnAsync(cluster, source);
        await BusTest.PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var messages = new ConcurrentQueue<string>();
        var sink = new RecordingSink(messages.Enqueue);
        _ = await backend.SubscribeAsync(bomId, sink, default).AsTask().Bounded();
        var channel = backend.Names.Channel(bomId, sharded: true);

        // An operator moves the BOM's slot to another master (resharding): the source unsubscribes the shard channel
        // (an unsolicited SUNSUBSCRIBE) and the client library subscribes it on the target by itself, raising no event.
        await MoveSlotAsync(cluster, await cluster.KeySlotAsync(bomId), source, target);
        await WaitUntilAsync(() => redis.GetSubscriber().SubscribedEndpoint(channel)?.ToString() == target.EndPoint, "the channel follows its slot", TimeSpan.FromSeconds(30));
        Assert.Equal(0, sink.Interruptions);

        // The target dies: the subscription it carries now must be interrupted and recovered, not left to the log check.
        await target.KillAsync();
        await WaitUntilAsync(() => sink.Restores == 1, "the moved subscription is restored on the promoted replica", TimeSpan.FromSeconds(30));
        Assert.Equal(1, sink.Interruptions);
        await WaitUntilAsync(() =>
        {
            try
            {
                var published = BusTest.PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1).GetAwaiter().GetResult();
                return SpinWait.SpinUntil(() => messages.Any(m => m.Contains(published.EventId, StringComparison.Ordinal)), 2000);
            }
            catch (Exception ex) when (ex is BusUnavailableException or RedisException)
            {
                return false;
            }
        }, "a publish on the failed-over shard is heard", TwoHubRun.LiveAgainWithin);
    }

    /// <summary>Moves one slot and its keys from <paramref name="source"/> to <paramref name="target"/> (the resharding steps of the Redis Cluster spec).</summary>
    private static async Task MoveSlotAsync(RedisCluster cluster, int slot, RedisClusterNode source, RedisClusterNode target)
    {
        var topology = await cluster.TopologyAsync();
        var sourceId = topology.Single(n => n.Port == source.Port).Id;
        var targetId = topology.Single(n => n.Port == target.Port).Id;
        var slotText = slot.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("OK", (await target.CliAsync("CLUSTER", "SETSLOT", slotText, "IMPORTING", sourceId)).Trim());
        Assert.Equal("OK", (await source.CliAsync("CLUSTER", "SETSLOT", slotText, "MIGRATING", targetId)).Trim());
        var keys = (await source.CliAsync("CLUSTER", "GETKEYSINSLOT", slotText, "100")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(keys);
        Assert.Equal("OK", (await source.CliAsync(["MIGRATE", "127.0.0.1", target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "", "0", "5000", "KEYS", .. keys])).Trim());
        // The target first (as the spec orders it): a source that gave the slot up redirects to a target that owns it.
        foreach (var master in (await cluster.MastersAsync()).OrderBy(m => m.Port == target.Port ? 0 : m.Port == source.Port ? 1 : 2))
        {
            Assert.Equal("OK", (await master.CliAsync("CLUSTER", "SETSLOT", slotText, "NODE", targetId)).Trim());
        }
    }

    [Fact]
    public async Task A_replica_killed_for_good_two_hubs_stay_ready_and_every_client_gets_every_accepted_event_once_in_order()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var run = await TwoHubRun.StartAsync(HubSettings(cluster), $"bom-cluster-{Guid.NewGuid():N}", output);
        var replica = await cluster.ReplicaOfAsync(await cluster.MasterOfAsync(await cluster.KeySlotAsync(run.BomId)));

        // Readiness is polled on both hubs for as long as the replica is gone (to the end of the run).
        using var stopPolling = new CancellationTokenSource();
        var readiness = Task.WhenAll(run.Hubs.Select(hub => TwoHubRun.PollReadinessAsync(hub, stopPolling.Token)));
        await replica.KillAsync();

        // The BOM's shard lost its replica: its publishes go on (no replica to WAIT for) and are heard at once.
        var liveAfter = await run.LiveAgainAsync();
        await WaitUntilAsync(() => cluster.TopologyAsync().Result.Any(n => n.Port == replica.Port && n.IsFailed), "the cluster marks the replica failed");
        await run.FinishAsync(() => ReadLogAsync(cluster, run.BomId));
        await stopPolling.CancelAsync();
        var answers = await readiness.WaitAsync(TestTimeouts.Default);

        output.WriteLine($"readiness while the replica was gone: {string.Join(", ", answers.SelectMany(a => a).CountBy(s => s))}");
        Assert.All(answers, a => Assert.NotEmpty(a));
        Assert.All(answers.SelectMany(a => a), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.True(liveAfter < TwoHubRun.LiveAgainWithin, $"Live delivery took {liveAfter} to go on."); // the issue's bound; ~1 s on a quiet host, 3.9 s seen in a loaded full run
    }

    [Fact]
    public async Task The_master_of_the_boms_slot_killed_for_good_live_delivery_resumes_on_the_promoted_replica_and_every_client_gets_every_accepted_event_once_in_order()
    {
        await using var cluster = await RedisCluster.StartAsync();
        await using var run = await TwoHubRun.StartAsync(HubSettings(cluster), $"bom-cluster-{Guid.NewGuid():N}", output);
        var slot = await cluster.KeySlotAsync(run.BomId);
        var master = await cluster.MasterOfAsync(slot);
        var replica = await cluster.ReplicaOfAsync(master);

        var sinceKill = Stopwatch.StartNew();
        await master.KillAsync();
        await WaitUntilAsync(() => cluster.TopologyAsync().Result.Any(n => n.Port == replica.Port && n.IsMaster && n.Slots.Any(s => s.From <= slot && slot <= s.To)),
            "the cluster promoted the replica", TimeSpan.FromSeconds(30));
        output.WriteLine($"replica promoted {sinceKill.ElapsedMilliseconds} ms after the kill");
        var liveAfter = await run.LiveAgainAsync();
        output.WriteLine($"live again {sinceKill.ElapsedMilliseconds} ms after the kill");

        // CLUSTERDOWN/TRYAGAIN during the election are transient: 503 with Retry-After, never 500 (FinishAsync).
        await run.FinishAsync(() => ReadLogAsync(cluster, run.BomId));
        Assert.True(liveAfter < TwoHubRun.LiveAgainWithin, $"Live delivery took {liveAfter} after the promotion to resume.");
    }

    private static Dictionary<string, string?> HubSettings(RedisCluster cluster) => new()
    {
        ["Redis:ConnectionString"] = cluster.ConnectionString,
        // The jobs on a cluster have their own tests; this is about the bus.
        ["Worker:Enabled"] = "false",
        // So that what brings delivery back is the resubscription, not the backstop.
        ["Bus:LogCheckInterval"] = "1.00:00:00",
    };

    private static async Task<IReadOnlyList<string>> ReadLogAsync(RedisCluster cluster, string bomId)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString).Bounded();
        return [.. (await redis.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(bomId)).Bounded())
            .Select(e => e.Id.ToString())];
    }
}
