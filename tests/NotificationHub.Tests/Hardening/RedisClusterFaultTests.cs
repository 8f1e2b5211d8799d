using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Bus;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// Redis Cluster nodes die under running hubs (each test has a cluster of its own). Only the subscriptions a lost
/// node carried are interrupted; each comes back on whatever node serves its channel now, without the lost node ever
/// returning. Two hub processes with SSE and SignalR clients keep every accepted event, once, in order.
/// </summary>
public sealed class RedisClusterFaultTests
{
    private static readonly TimeSpan LiveAgainWithin = TimeSpan.FromSeconds(10);

    private static string Progress(int step) =>
        $$$"""{"event_type":"progress","tenant_id":"acme","state":{"total_items":1000,"processed_items":{{{step}}},"enriched_items":{{{step}}},"percent_complete":{{{step / 10}}}}}""";

    private const string Started = """{"event_type":"enrichment.started","tenant_id":"acme","state":{"total_items":1000}}""";
    private const string Completed = """{"event_type":"enrichment.completed","tenant_id":"acme","state":{"total_items":1000,"processed_items":1000,"enriched_items":1000,"percent_complete":100}}""";

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < (timeout ?? TestTimeouts.Default), $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

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
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString).Bounded();
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var busOptions = Options.Create(new EventBusOptions());
        var backend = new RedisEventBusBackend(redis, Options.Create(new RedisBusOptions()), busOptions, NullLogger<RedisEventBusBackend>.Instance);
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
            var sink = new RecordingSink(m => messages.Enqueue(Encoding.UTF8.GetString(m.Span)));
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
        await WaitUntilAsync(() => lostSink.Restores == 1, "the lost master's subscription is restored", LiveAgainWithin);
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
        }, "a publish on the failed-over shard is heard", LiveAgainWithin);
        Assert.All(subscriptions.Where(s => s.BomId != lostBom), s => Assert.Equal(0, s.Sink.Interruptions));
    }
}
