using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.InMemory;
using NotificationHub.Bus.Redis;
using NotificationHub.Contracts;
using NotificationHub.Tests.Infrastructure;
using StackExchange.Redis;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// What only the Redis backend does: messages legacy workers PUBLISH themselves, the legacy channel, key layout
/// and retention, the Lua splice, several nodes, and the DI registration.
/// </summary>
[Collection("redis")]
public sealed class RedisBackendTests(RedisServerFixture redis) : RedisBusTestBase
{
    private readonly string _keyPrefix = $"test:{Guid.NewGuid():N}:";

    private (EnrichmentEventBus Bus, RedisEventBusBackend Backend) CreateBus(
        IConnectionMultiplexer? connection = null, string? legacyChannelPrefix = null, TimeSpan? retention = null,
        string channelPrefix = "enrichment:bom:", TimeSpan? logCheckInterval = null)
    {
        var busOptions = new EventBusOptions
        {
            FinishedRetention = retention ?? TimeSpan.FromHours(1),
            IdleRetention = TimeSpan.FromHours(2),
            LogCheckInterval = logCheckInterval ?? TimeSpan.FromSeconds(30),
        };
        return BuildBus(connection ?? redis.Redis,
            new RedisBusOptions { KeyPrefix = _keyPrefix, LegacyChannelPrefix = legacyChannelPrefix, ChannelPrefix = channelPrefix }, busOptions);
    }

    private Task RawPublishAsync(string channel, string message) =>
        redis.Redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message).WaitAsync(StepTimeout);

    /// <summary>A message in the shape the legacy Temporal workflow PUBLISHed.</summary>
    private static string LegacyProgress(string bomId, string organizationId, string eventId = "5f0c6a3e-9b1d-4c2e-8a7f-1d2e3f4a5b6c") =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["event_id"] = eventId,
            ["event_type"] = "enrichment.progress",
            ["routing_key"] = "enrichment.progress",
            ["bom_id"] = bomId,
            ["organization_id"] = organizationId,
            ["project_id"] = "project-1",
            ["user_id"] = "user-1",
            ["source"] = "temporal",
            ["workflow_id"] = "bom-enrichment-wf",
            ["workflow_run_id"] = "run-1",
            ["state"] = new Dictionary<string, object?>
            {
                ["status"] = "enriching",
                ["total_items"] = 10,
                ["enriched_items"] = 4,
                ["failed_items"] = 1,
                ["not_found_items"] = 1,
                ["pending_items"] = 4,
                ["percent_complete"] = 60.0,
                ["current_batch"] = 2,
                ["total_batches"] = 5,
            },
            ["payload"] = new Dictionary<string, object?>(),
            ["created_at"] = "2025-01-01T10:00:00Z",
        });

    [Fact]
    public async Task A_legacy_worker_message_is_delivered_as_contract_progress()
    {
        var (bus, _) = CreateBus();
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);

        await RawPublishAsync($"enrichment:bom:{bomId}", LegacyProgress(bomId, Tenant));

        var delivered = await NextAsync(stream);
        Assert.Equal(EnrichmentEventNames.Progress, delivered.EventType);
        Assert.False(delivered.HasLogId);
        var envelope = delivered.ToEnvelope();
        Assert.Equal(Tenant, envelope.TenantId);
        Assert.Equal(bomId, envelope.BomId);
        Assert.Equal(EnrichmentEventNames.Progress, envelope.EventType);
        Assert.Equal(2, envelope.State!.ErrorItems);
        Assert.Equal(6, envelope.State.ProcessedItems);
        Assert.Equal(4, envelope.State.EnrichedItems);
        Assert.Equal(2, envelope.State.Extra!["current_batch"].GetInt32());
        using var doc = JsonDocument.Parse(delivered.Json);
        Assert.False(doc.RootElement.TryGetProperty("organization_id", out _));

        // Live delivery continues after it.
        var next = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 5);
        Assert.Equal(next.EventId, (await NextAsync(stream)).EventId);
    }

    [Fact]
    public async Task Bad_or_foreign_channel_messages_are_dropped_and_the_stream_continues()
    {
        var (bus, _) = CreateBus();
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);
        var channel = $"enrichment:bom:{bomId}";

        await RawPublishAsync(channel, LegacyProgress(bomId, OtherTenant));
        await RawPublishAsync(channel, "{not json");
        await RawPublishAsync(channel, """{"event_type":"enrichment.exploded","organization_id":"tenant-a"}""");
        await RawPublishAsync(channel, LegacyProgress(bomId, Tenant, eventId: "evil\r\nevent: injected"));
        await RawPublishAsync(channel, LegacyProgress("another-bom", Tenant));
        var valid = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 3);

        // Channel messages arrive in publish order: the first one delivered must be the valid event.
        Assert.Equal(valid.EventId, (await NextAsync(stream)).EventId);
    }

    [Fact]
    public async Task The_legacy_channel_is_subscribed_when_configured()
    {
        var (bus, backend) = CreateBus(legacyChannelPrefix: "enrichment:");
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);

        await RawPublishAsync($"enrichment:{bomId}", LegacyProgress(bomId, Tenant));
        var legacy = await NextAsync(stream);
        Assert.Equal(EnrichmentEventNames.Progress, legacy.EventType);
        Assert.Equal(2, legacy.ToEnvelope().State!.ErrorItems);

        // Both channels stay subscribed, and both are released with the last stream.
        var next = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 5);
        Assert.Equal(next.EventId, (await NextAsync(stream)).EventId);
        await stream.DisposeAsync().AsTask().WaitAsync(StepTimeout);
        Assert.Equal(0, bus.TopicCount);
        Assert.Equal(0, await SubscriberCountAsync($"enrichment:{bomId}"));
        Assert.Equal(0, await SubscriberCountAsync(backend.Names.ChannelName(bomId)));
    }

    [Fact]
    public async Task Without_the_legacy_prefix_the_legacy_channel_is_ignored()
    {
        var (bus, _) = CreateBus();
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);

        await RawPublishAsync($"enrichment:{bomId}", LegacyProgress(bomId, Tenant));
        var valid = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 3);

        Assert.Equal(valid.EventId, (await NextAsync(stream)).EventId);
    }

    [Fact]
    public async Task Log_and_snapshot_expire_after_the_idle_or_finished_retention_but_the_owner_stays()
    {
        var (bus, backend) = CreateBus(retention: TimeSpan.FromMinutes(10));
        var bomId = NewBomId();
        var db = redis.Redis.GetDatabase();
        var names = backend.Names;

        // A run that never finishes is bounded by the idle retention (2 h here), restarted by each event.
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        await AssertTtlAsync(TimeSpan.FromHours(2));
        await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 3);
        await AssertTtlAsync(TimeSpan.FromHours(2));

        await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20);
        await AssertTtlAsync(TimeSpan.FromMinutes(10));

        Assert.True(await db.KeyExistsAsync(names.OwnerKey(bomId)).WaitAsync(StepTimeout));
        Assert.Null(await db.KeyTimeToLiveAsync(names.OwnerKey(bomId)).WaitAsync(StepTimeout));

        // A new run of the same BOM is on the idle retention again.
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        await AssertTtlAsync(TimeSpan.FromHours(2));

        async Task AssertTtlAsync(TimeSpan expected)
        {
            foreach (var key in new[] { names.LogKey(bomId), names.MetaKey(bomId) })
            {
                var ttl = await db.KeyTimeToLiveAsync(key).WaitAsync(StepTimeout);
                Assert.NotNull(ttl);
                Assert.InRange(ttl.Value, expected - TimeSpan.FromMinutes(1), expected);
            }
        }
    }

    [Fact]
    public async Task An_idempotency_key_is_stored_in_the_boms_slot_for_the_window()
    {
        var (bus, backend) = CreateBus();
        var bomId = NewBomId();
        var request = new PublishEventRequest { EventType = EnrichmentEventNames.Started, TenantId = Tenant, State = State(0) };
        var published = await bus.PublishAsync(bomId, request, "k{x}-1").AsTask().WaitAsync(StepTimeout);

        var key = backend.Names.IdempotencyKey(bomId, "k{x}-1");
        var db = redis.Redis.GetDatabase();
        Assert.Equal(published.EventId, (string?)await db.StringGetAsync(key).WaitAsync(StepTimeout));
        var ttl = await db.KeyTimeToLiveAsync(key).WaitAsync(StepTimeout);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.Equal(redis.Redis.HashSlot(backend.Names.LogKey(bomId)), redis.Redis.HashSlot(key));
    }

    [Fact]
    public async Task After_retention_the_bom_has_no_latest_and_stays_with_its_owner()
    {
        var (bus, backend) = CreateBus(retention: TimeSpan.FromSeconds(1));
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var completed = await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20);

        // Expire now rather than wait for the retention: what is under test is the state Redis leaves behind.
        var db = redis.Redis.GetDatabase();
        await db.KeyDeleteAsync([backend.Names.LogKey(bomId), backend.Names.MetaKey(bomId)]).WaitAsync(StepTimeout);

        var bom = await bus.GetBomForTenantAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout);
        Assert.NotNull(bom);
        Assert.Null(bom.Latest);
        Assert.False((await backend.ReadAfterAsync(bomId, completed.EventId, default).AsTask().WaitAsync(StepTimeout)).Found);
        await Assert.ThrowsAsync<BomOwnershipException>(() => PublishAsync(bus, bomId, EnrichmentEventNames.Started, tenant: OtherTenant));

        var restarted = await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        Assert.True(restarted.LogId > completed.LogId);
    }

    [Fact]
    public async Task The_script_splices_the_id_exactly_like_EnvelopeTemplate()
    {
        var (bus, backend) = CreateBus();
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);

        var published = await bus.PublishAsync(bomId, new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Failed,
            TenantId = Tenant,
            State = State(3) with { CurrentItem = new CurrentItem { Mpn = "LM317T ÄÖ ✓", Status = "error" } },
            Payload = JsonDocument.Parse("""{"note":"ünïcode \"and\" quotes \\ ✓ 🚀"}""").RootElement,
            Error = "boom",
        }).AsTask().WaitAsync(StepTimeout);

        // The bytes the script published and stored, against the bytes C# spliced with EnvelopeTemplate.
        var delivered = await NextAsync(stream);
        var entries = await redis.Redis.GetDatabase().StreamRangeAsync(backend.Names.LogKey(bomId), published.EventId, published.EventId).WaitAsync(StepTimeout);
        var latest = await redis.Redis.GetDatabase().HashGetAsync(backend.Names.MetaKey(bomId), RedisBusNames.LatestField).WaitAsync(StepTimeout);
        var expected = Encoding.UTF8.GetString(published.Json.Span);

        Assert.Equal(expected, Encoding.UTF8.GetString(delivered.Json.Span));
        Assert.Equal(expected, entries.Single()[RedisBusNames.LogEntryField].ToString());
        Assert.Equal(expected, latest.ToString());
        Assert.Equal(published.EventId, delivered.ToEnvelope().EventId);
        Assert.Equal("LM317T ÄÖ ✓", delivered.ToEnvelope().State!.CurrentItem!.Mpn);
    }

    [Fact]
    public void A_boms_publish_names_are_built_once_and_are_the_names_of_the_layout()
    {
        var names = new RedisBusNames(new RedisBusOptions { KeyPrefix = "p:", ChannelPrefix = "c:" });

        var first = names.ForBom("bom-1", sharded: false);
        var sharded = names.ForBom("bom-1", sharded: true);

        Assert.Equal(("p:{bom-1}:owner", "p:{bom-1}:log", "p:{bom-1}:meta", "c:bom-1"),
            (first.OwnerKey.ToString(), first.LogKey.ToString(), first.MetaKey.ToString(), first.ChannelName));
        Assert.Equal("c:{bom-1}", sharded.ChannelName);
        var again = names.ForBom("bom-1", sharded: true);
        Assert.Same(sharded, again);
        var before = GC.GetAllocatedBytesForCurrentThread();
        names.ForBom("bom-1", sharded: true);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // Many BOMs share the bounded cache; each still gets its own names.
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal($"p:{{bom-{i}}}:log", names.ForBom($"bom-{i}", sharded: false).LogKey.ToString());
        }
    }

    [Fact]
    public void The_template_prefix_is_the_14_bytes_the_script_assumes()
    {
        Assert.Equal(14, EnvelopeTemplate.PrefixLength);
        Assert.Contains("string.sub(ARGV[2], 14)", RedisEventBusBackend.AppendScript, StringComparison.Ordinal);
        var template = EnrichmentJson.SerializeEnvelope(new EnrichmentEnvelope { EventType = EnrichmentEventNames.Started, BomId = "b", TenantId = "t" });
        Assert.StartsWith(EnvelopeTemplate.Prefix, Encoding.UTF8.GetString(template), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Events_published_on_one_node_reach_streams_on_another()
    {
        await using var nodeB = await redis.ConnectAsync().WaitAsync(StepTimeout);
        var (busA, _) = CreateBus();
        var (busB, _) = CreateBus(nodeB);
        var bomId = NewBomId();
        await PublishAsync(busA, bomId, EnrichmentEventNames.Started);

        var stream = await OpenAsync(busB, bomId);
        await NextAsync(stream);
        var progress = await PublishAsync(busA, bomId, EnrichmentEventNames.Progress, 4);
        var completed = await PublishAsync(busB, bomId, EnrichmentEventNames.Completed, 20);

        Assert.Equal([progress.EventId, completed.EventId], (await ReadToEndAsync(stream)).Select(e => e.EventId));
        await Assert.ThrowsAsync<BomOwnershipException>(() => PublishAsync(busB, bomId, EnrichmentEventNames.Started, tenant: OtherTenant));
    }

    [Fact]
    public async Task An_event_live_delivery_missed_is_recovered_by_the_periodic_log_check()
    {
        // The second bus shares the keys but publishes on another channel: the watching bus hears nothing live and
        // no connection fails, so only its log check can find the event.
        var (bus, _) = CreateBus(logCheckInterval: TimeSpan.FromMilliseconds(200));
        var (elsewhere, _) = CreateBus(channelPrefix: "elsewhere:");
        var bomId = NewBomId();
        var stream = await StartedBomWithStreamAsync(bus, bomId);

        var missed = await PublishAsync(elsewhere, bomId, EnrichmentEventNames.Progress, 1);
        Assert.Equal(missed.EventId, (await NextAsync(stream)).EventId);

        var live = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 2);
        Assert.Equal(live.EventId, (await NextAsync(stream)).EventId);
        var completed = await PublishAsync(elsewhere, bomId, EnrichmentEventNames.Completed, 3);
        Assert.Equal([completed.EventId], (await ReadToEndAsync(stream)).Select(e => e.EventId));
    }

    [Fact]
    public async Task Disposing_one_backend_subscription_leaves_another_on_the_same_channel()
    {
        var (_, backend) = CreateBus();
        var bomId = NewBomId();
        var first = new List<string>();
        var second = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = await backend.SubscribeAsync(bomId, new RecordingSink(first.Add), default).AsTask().WaitAsync(StepTimeout);
        var b = await backend.SubscribeAsync(bomId, new RecordingSink(m => second.TrySetResult(m)), default).AsTask().WaitAsync(StepTimeout);

        await a.DisposeAsync().AsTask().WaitAsync(StepTimeout);
        await RawPublishAsync(backend.Names.ChannelName(bomId), "hello");

        Assert.Equal("dropped: not valid JSON", await second.Task.WaitAsync(StepTimeout)); // read at the Redis edge, and reported
        Assert.Empty(first);
        await b.DisposeAsync().AsTask().WaitAsync(StepTimeout);
        Assert.Equal(0, await SubscriberCountAsync(backend.Names.ChannelName(bomId)));
    }

    [Fact]
    public async Task An_unreachable_redis_fails_publishing_with_BusUnavailable()
    {
        var options = ConfigurationOptions.Parse("127.0.0.1:1");
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 200;
        options.AsyncTimeout = 500;
        options.BacklogPolicy = BacklogPolicy.FailFast; // fail at once instead of queueing until the timeout
        await using var dead = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(StepTimeout);
        var (bus, _) = CreateBus(dead);

        await Assert.ThrowsAsync<BusUnavailableException>(() => PublishAsync(bus, NewBomId(), EnrichmentEventNames.Started));
    }

    [Fact]
    public async Task Without_a_replica_the_append_script_counts_replicas_once_per_interval_not_per_publish()
    {
        // A server of its own: INFO calls are counted server-wide (commands run by scripts included).
        await using var server = await PrivateRedisServer.StartAsync(persistent: false);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString).WaitAsync(StepTimeout);
        var (bus, _) = CreateBus(connection);
        var bomId = NewBomId();

        // The multiplexer's own topology events (a configuration change or a restored connection, which a loaded host
        // sometimes raises just after connecting) rightly make the next append count again: allowed, one each.
        var topologyEvents = 0;
        void OnTopology(object? sender, EventArgs e) => Interlocked.Increment(ref topologyEvents);
        connection.ConfigurationChanged += OnTopology;
        connection.ConfigurationChangedBroadcast += OnTopology;
        connection.ConnectionRestored += OnTopology;
        connection.ConnectionFailed += OnTopology;

        // The interval starts with this first append's count.
        var started = System.Diagnostics.Stopwatch.StartNew();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);

        // What reading the count itself adds (whether Redis counts the INFO that answers), measured, not assumed.
        var control = await InfoCallsAsync(connection);
        var before = await InfoCallsAsync(connection);
        var ownCalls = before - control;

        // Well inside one recount interval (1 s) on any machine: 20 appends on one connection take milliseconds.
        for (var i = 1; i <= 20; i++)
        {
            await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, enriched: i);
        }

        var counted = await InfoCallsAsync(connection) - before - ownCalls;
        var elapsedIntervals = started.Elapsed < RedisEventBusBackend.ReplicaRecountInterval
            ? 0
            : (long)(started.Elapsed / RedisEventBusBackend.ReplicaRecountInterval) + 1; // a host slow enough to cross one
        // Once per interval crossed or topology event, never per publish (20 publishes would count 20).
        Assert.InRange(counted, 0, elapsedIntervals + Volatile.Read(ref topologyEvents));
    }

    private static async Task<long> InfoCallsAsync(IConnectionMultiplexer connection)
    {
        var info = (string)(await connection.GetDatabase().ExecuteAsync("INFO", "commandstats").WaitAsync(StepTimeout))!;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("cmdstat_info:calls=", StringComparison.Ordinal))
            {
                return long.Parse(line["cmdstat_info:calls=".Length..line.IndexOf(',')], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [Fact]
    public async Task Registration_uses_redis_only_when_a_connection_string_is_set()
    {
        var withRedis = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Redis:KeyPrefix"] = _keyPrefix,
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(withRedis);
        Assert.True(services.AddRedisEventBusBackend(withRedis));
        services.AddEnrichmentEventBus();
        await using (var provider = services.BuildServiceProvider())
        {
            Assert.IsType<RedisEventBusBackend>(provider.GetRequiredService<IEventBusBackend>());
            Assert.Same(provider.GetRequiredService<IConnectionMultiplexer>(), provider.GetRequiredService<IConnectionMultiplexer>());
            Assert.Equal(_keyPrefix, provider.GetRequiredService<IOptions<RedisBusOptions>>().Value.KeyPrefix);
            var bus = provider.GetRequiredService<EnrichmentEventBus>();
            Assert.True(await bus.ClaimAsync(NewBomId(), Tenant).AsTask().WaitAsync(StepTimeout));
        }

        // Registered after the bus: Replace still wins over the in-memory default.
        var after = new ServiceCollection().AddLogging().AddEnrichmentEventBus();
        after.AddRedisEventBusBackend(withRedis);
        Assert.Equal(typeof(RedisEventBusBackend), after.Single(d => d.ServiceType == typeof(IEventBusBackend)).ImplementationType);

        var empty = new ConfigurationBuilder().Build();
        var without = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(empty);
        Assert.False(without.AddRedisEventBusBackend(empty));
        without.AddEnrichmentEventBus();
        await using var inMemory = without.BuildServiceProvider();
        Assert.IsType<InMemoryEventBusBackend>(inMemory.GetRequiredService<IEventBusBackend>());
        Assert.Null(inMemory.GetService<IConnectionMultiplexer>());
    }

    [Fact]
    public void Options_are_validated()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddRedisEventBusBackend(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = redis.ConnectionString,
            ["Redis:ChannelPrefix"] = "",
        }).Build());
        using var provider = services.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<RedisBusOptions>>().Value);
    }

    private async Task<long> SubscriberCountAsync(string channel)
    {
        // PUBSUB NUMSUB: how many connections the server has subscribed to the channel.
        var result = await redis.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", channel).WaitAsync(StepTimeout);
        return (long)((RedisResult[])result!)[1];
    }
}
