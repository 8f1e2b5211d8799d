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
using Xunit.Abstractions;

namespace NotificationHub.Tests.Hardening;

/// <summary>
/// Redis Cluster nodes die under running hubs (each test has a cluster of its own). Only the subscriptions a lost
/// node carried are interrupted; each comes back on whatever node serves its channel now, without the lost node ever
/// returning. Two hub processes with SSE and SignalR clients keep every accepted event, once, in order.
/// </summary>
public sealed class RedisClusterFaultTests(ITestOutputHelper output)
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
        var backend = new RedisEventBusBackend(redis, Options.Create(new RedisBusOptions { ReplicaAckTimeout = TimeSpan.FromSeconds(5) }), busOptions, NullLogger<RedisEventBusBackend>.Instance);
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
    }

    [Fact]
    public async Task A_replica_killed_for_good_two_hubs_stay_ready_and_every_client_gets_every_accepted_event_once_in_order()
    {
        var outcome = await RunTwoHubsAsync(async (cluster, master, hubs) =>
        {
            var replica = await cluster.ReplicaOfAsync(master);
            await replica.KillAsync();
            await AssertReadyAsync(hubs);
            await WaitUntilAsync(() => cluster.TopologyAsync().Result.Any(n => n.Port == replica.Port && n.IsFailed), "the cluster marks the replica failed");
            await AssertReadyAsync(hubs);
        });

        output.WriteLine($"live after {outcome.LiveAgainAfter}; statuses: {string.Join(", ", outcome.Statuses.CountBy(s => s))}");
        Assert.All(outcome.Statuses, status => Assert.Contains(status, new[] { HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable }));
        Assert.True(outcome.LiveAgainAfter < TimeSpan.FromSeconds(3), $"Live delivery took {outcome.LiveAgainAfter} to go on.");
    }

    [Fact]
    public async Task The_master_of_the_boms_slot_killed_for_good_live_delivery_resumes_on_the_promoted_replica_and_every_client_gets_every_accepted_event_once_in_order()
    {
        var outcome = await RunTwoHubsAsync((_, master, _) => master.KillAsync());

        output.WriteLine($"live after {outcome.LiveAgainAfter}; statuses: {string.Join(", ", outcome.Statuses.CountBy(s => s))}");

        // CLUSTERDOWN/TRYAGAIN during the election are transient: 503 with Retry-After, never 500.
        Assert.All(outcome.Statuses, status => Assert.Contains(status, new[] { HttpStatusCode.Accepted, HttpStatusCode.ServiceUnavailable }));
        Assert.True(outcome.LiveAgainAfter < LiveAgainWithin, $"Live delivery took {outcome.LiveAgainAfter} to resume.");
    }

    private sealed record Outcome(IReadOnlyCollection<HttpStatusCode> Statuses, TimeSpan LiveAgainAfter);

    private static async Task AssertReadyAsync(IEnumerable<HubProcess> hubs)
    {
        foreach (var hub in hubs)
        {
            using var ready = await hub.Client.GetAsync("health/ready").Bounded();
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
    }

    /// <summary>One publish through a hub's API: the event id on 202, else null (the status is recorded either way).</summary>
    private static async Task<string?> TryPublishAsync(HubProcess hub, string bomId, string json, ConcurrentQueue<HttpStatusCode> statuses)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/enrichment/{bomId}/events")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", hub.PublisherToken());
        using var response = await hub.Client.SendAsync(request).Bounded();
        statuses.Enqueue(response.StatusCode);
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            return null;
        }

        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("event_id").GetString();
    }

    /// <summary>
    /// Two hub processes on a cluster of the test's own, an SSE and a SignalR client on each, and a publisher that
    /// alternates between the hubs and retries every refusal. Mid-run <paramref name="fault"/> breaks the cluster
    /// (given the master of the BOM's slot); the run then goes on until live delivery is back (timed from the end of
    /// <paramref name="fault"/>, which for a kill is the kill itself), and ends with the
    /// terminal event. Asserts what holds for every fault: both hubs alive and ready at the end, every client got
    /// exactly the BOM's log (every accepted event) once, in order, over the connection it opened first.
    /// </summary>
    private async Task<Outcome> RunTwoHubsAsync(Func<RedisCluster, RedisClusterNode, IReadOnlyList<HubProcess>, Task> fault)
    {
        var started = Stopwatch.StartNew();
        await using var cluster = await RedisCluster.StartAsync();
        output.WriteLine($"cluster up after {started.Elapsed}");
        var settings = new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = cluster.ConnectionString,
            ["Stream:KeepAliveInterval"] = "00:00:01",
            // The jobs on a cluster are another change's; this is about the bus.
            ["Worker:Enabled"] = "false",
            // So that what brings delivery back is the resubscription, not the backstop.
            ["Bus:LogCheckInterval"] = "1.00:00:00",
        };
        var hubs = await Task.WhenAll(HubProcess.StartAsync(settings), HubProcess.StartAsync(settings)).WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"hubs up after {started.Elapsed}");
        try
        {
            var bomId = $"bom-cluster-{Guid.NewGuid():N}";
            var master = await cluster.MasterOfAsync(await cluster.KeySlotAsync(bomId));
            var statuses = new ConcurrentQueue<HttpStatusCode>();
            var acked = new ConcurrentQueue<string>();

            async Task<string> PublishUntilAcceptedAsync(string json, int attempt = 0)
            {
                while (true)
                {
                    if (await TryPublishAsync(hubs[attempt++ % 2], bomId, json, statuses) is { } id)
                    {
                        acked.Enqueue(id);
                        return id;
                    }

                    await Task.Delay(50);
                }
            }

            var first = await PublishUntilAcceptedAsync(Started);
            var token = hubs[0].Token("acme");
            var watchers = new (Func<string?> LastId, Func<List<string>> Ids, Func<int> Connections, Task Run)[4];
            var sseA = new FailoverSseWatcher([hubs[0], hubs[1]], bomId, token);
            var sseB = new FailoverSseWatcher([hubs[1], hubs[0]], bomId, token);
            var hubA = new FailoverHubWatcher([hubs[0], hubs[1]], bomId, token);
            var hubB = new FailoverHubWatcher([hubs[1], hubs[0]], bomId, token);
            watchers[0] = (() => sseA.LastId, () => sseA.Ids, () => sseA.Connections, Task.Run(sseA.RunAsync));
            watchers[1] = (() => sseB.LastId, () => sseB.Ids, () => sseB.Connections, Task.Run(sseB.RunAsync));
            watchers[2] = (() => hubA.LastId, () => hubA.Ids, () => hubA.Connections, Task.Run(hubA.RunAsync));
            watchers[3] = (() => hubB.LastId, () => hubB.Ids, () => hubB.Connections, Task.Run(hubB.RunAsync));
            bool AllHave(string id) => watchers.All(w => w.LastId() is { } last && EventLogId.TryParse(last, out var l)
                && EventLogId.TryParse(id, out var i) && l >= i);
            await WaitUntilAsync(() => AllHave(first), "every client has the snapshot");

            using var stop = new CancellationTokenSource();
            var step = 0;
            var publishing = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    await PublishUntilAcceptedAsync(Progress(++step), step);
                    await Task.Delay(20);
                }
            });

            await WaitUntilAsync(() => acked.Count > 10 && AllHave(acked.Last()), "every client is live");

            await fault(cluster, master, hubs);
            var sinceFault = Stopwatch.StartNew();
            var ackedBefore = acked.Count;
            await WaitUntilAsync(() => acked.Count > ackedBefore, "a publish is accepted after the fault", LiveAgainWithin);
            var afterFault = acked.ElementAt(ackedBefore);
            await WaitUntilAsync(() => AllHave(afterFault), "every client gets an event accepted after the fault", LiveAgainWithin + TimeSpan.FromSeconds(5));
            var liveAgainAfter = sinceFault.Elapsed;

            var ackedNow = acked.Count;
            await WaitUntilAsync(() => acked.Count > ackedNow + 10, "publishing goes on");
            await stop.CancelAsync();
            await publishing.WaitAsync(TestTimeouts.Default);
            await PublishUntilAcceptedAsync(Completed);
            await Task.WhenAll(watchers.Select(w => w.Run)).WaitAsync(TimeSpan.FromSeconds(30));

            await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.ConnectionString).Bounded();
            var log = (await redis.GetDatabase().StreamRangeAsync(new RedisBusNames(new RedisBusOptions()).LogKey(bomId)).Bounded())
                .Select(e => e.Id.ToString()).ToArray();
            Assert.Subset(log.ToHashSet(), acked.ToHashSet());
            foreach (var watcher in watchers)
            {
                Assert.Equal(log, watcher.Ids());
                Assert.Equal(1, watcher.Connections());
            }

            foreach (var hub in hubs)
            {
                using var live = await hub.Client.GetAsync("health/live").Bounded();
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }

            await AssertReadyAsync(hubs);
            return new Outcome(statuses, liveAgainAfter);
        }
        finally
        {
            foreach (var hub in hubs)
            {
                await hub.DisposeAsync();
            }
        }
    }
}
