using NotificationHub.Bus;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// What the Redis backend does on a cluster: sharded pub/sub keeps a BOM's live traffic on its own shard, and legacy
/// publishers on classic channels are still heard where configured.
/// </summary>
[Collection("redis-cluster")]
public sealed class RedisClusterBackendTests(RedisClusterFixture cluster) : RedisBusTestBase
{
    private readonly string _keyPrefix = $"test:{Guid.NewGuid():N}:";

    private (EnrichmentEventBus Bus, RedisEventBusBackend Backend) CreateBus(RedisShardedPubSub mode, string? legacyChannelPrefix = null) =>
        BuildBus(cluster.Redis, new RedisBusOptions
        {
            KeyPrefix = _keyPrefix, ShardedPubSub = mode, LegacyChannelPrefix = legacyChannelPrefix, ReplicaAckTimeout = TimeSpan.FromSeconds(5),
        }, new EventBusOptions());

    /// <summary>Pub/sub messages each node received from other nodes over the cluster bus: (classic, shard).</summary>
    private async Task<Dictionary<int, (long Classic, long Shard)>> ForwardedMessagesAsync()
    {
        var counters = new Dictionary<int, (long, long)>();
        foreach (var node in cluster.Cluster.Nodes)
        {
            // CLUSTER INFO lists a message type only once it was counted.
            var info = await node.InfoAsync("CLUSTER", "INFO");
            counters[node.Port] = (long.Parse(info.GetValueOrDefault("cluster_stats_messages_publish_received", "0")),
                long.Parse(info.GetValueOrDefault("cluster_stats_messages_publishshard_received", "0")));
        }

        return counters;
    }

    /// <summary>
    /// The cluster bus forwards a publish to the other nodes asynchronously: reads the counters until every node in
    /// <paramref name="nodes"/> counted at least <paramref name="count"/> more than <paramref name="before"/> (bounded).
    /// </summary>
    private async Task<Dictionary<int, (long Classic, long Shard)>> ForwardedAtLeastAsync(
        Dictionary<int, (long Classic, long Shard)> before, IEnumerable<int> nodes, Func<(long Classic, long Shard), long> counter, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var after = await ForwardedMessagesAsync();
            var lagging = nodes.Where(port => counter(after[port]) - counter(before[port]) < count).ToList();
            if (lagging.Count == 0)
            {
                return after;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Nodes {string.Join(", ", lagging)} did not get {count} forwarded publishes within 10 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>Publishes <paramref name="count"/> progress events on a started BOM and reads them from a live stream.</summary>
    private static async Task PublishAndReceiveAsync(EnrichmentEventBus bus, EnrichmentStream stream, string bomId, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            var published = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i);
            Assert.Equal(published.EventId, (await NextAsync(stream)).EventId);
        }
    }

    [Fact]
    public async Task A_publish_reaches_only_the_nodes_of_its_shard_where_classic_pubsub_reaches_every_node()
    {
        const int Events = 20;

        // Sharded (the default on a cluster): the master of the BOM's slot SPUBLISHes, its replica gets a copy over
        // the cluster bus, and the four nodes of the other shards see nothing.
        var (sharded, shardedBackend) = CreateBus(RedisShardedPubSub.Auto);
        Assert.True(shardedBackend.IsSharded);
        var bomId = NewBomId();
        var master = await cluster.Cluster.MasterOfAsync(await cluster.Cluster.KeySlotAsync(bomId));
        var replica = await cluster.Cluster.ReplicaOfAsync(master);
        await PublishAsync(sharded, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(sharded, bomId);
        await NextAsync(stream);

        var before = await ForwardedMessagesAsync();
        var spublishBefore = await master.CommandCallsAsync("spublish");
        await PublishAndReceiveAsync(sharded, stream, bomId, Events);
        // The shard's replica gets the shard's messages (once it has them all, the other nodes would have had theirs).
        var after = await ForwardedAtLeastAsync(before, [replica.Port], c => c.Shard, Events);

        Assert.Equal(Events, await master.CommandCallsAsync("spublish") - spublishBefore);
        foreach (var node in cluster.Cluster.Nodes.Where(n => n != master && n != replica))
        {
            Assert.Equal(before[node.Port], after[node.Port]);
        }

        // Classic (forced off), on the same cluster: every publish is forwarded to all five other nodes.
        var (classic, classicBackend) = CreateBus(RedisShardedPubSub.Off);
        Assert.False(classicBackend.IsSharded);
        var classicBom = NewBomId();
        var classicMaster = await cluster.Cluster.MasterOfAsync(await cluster.Cluster.KeySlotAsync(classicBom));
        await PublishAsync(classic, classicBom, EnrichmentEventNames.Started);
        var classicStream = await OpenAsync(classic, classicBom);
        await NextAsync(classicStream);

        before = await ForwardedMessagesAsync();
        await PublishAndReceiveAsync(classic, classicStream, classicBom, Events);
        await ForwardedAtLeastAsync(before, cluster.Cluster.Nodes.Where(n => n != classicMaster).Select(n => n.Port), c => c.Classic, Events);
    }

    [Fact]
    public async Task A_classic_publisher_on_the_channel_prefix_is_heard_when_configured_as_legacy()
    {
        // A producer that still PUBLISHes the classic channel enrichment:bom:<id> straight to a cluster: heard only
        // with Redis:LegacyChannelPrefix = enrichment:bom: (and then every such publish reaches every node).
        var (bus, backend) = CreateBus(RedisShardedPubSub.Auto, legacyChannelPrefix: "enrichment:bom:");
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(bus, bomId);
        await NextAsync(stream);

        var legacy = $$$"""{"event_id":"legacy-1","event_type":"enrichment.progress","bom_id":"{{{bomId}}}","organization_id":"{{{Tenant}}}","state":{"status":"enriching","total_items":10,"enriched_items":3},"created_at":"2025-01-01T10:00:00Z"}""";
        await cluster.Redis.GetSubscriber().PublishAsync(RedisChannel.Literal(backend.Names.ChannelName(bomId)), legacy).WaitAsync(StepTimeout);
        Assert.Equal("legacy-1", (await NextAsync(stream)).EventId);

        var published = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 4);
        Assert.Equal(published.EventId, (await NextAsync(stream)).EventId);
    }

    [Fact]
    public async Task Without_the_legacy_prefix_a_cluster_node_holds_only_the_shard_channel()
    {
        var (bus, backend) = CreateBus(RedisShardedPubSub.Auto);
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(bus, bomId);
        await NextAsync(stream);

        var master = await cluster.Cluster.MasterOfAsync(await cluster.Cluster.KeySlotAsync(bomId));
        var shardChannels = await master.CliAsync("PUBSUB", "SHARDCHANNELS", backend.Names.ShardedChannelName(bomId));
        Assert.Contains(backend.Names.ShardedChannelName(bomId), shardChannels, StringComparison.Ordinal);
        foreach (var node in cluster.Cluster.Nodes)
        {
            Assert.DoesNotContain(bomId, await node.CliAsync("PUBSUB", "CHANNELS", "*"), StringComparison.Ordinal);
        }

        Assert.Equal($"enrichment:bom:{{{bomId}}}", backend.Names.ShardedChannelName(bomId));
    }
}
