using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using static NotificationHub.Tests.Bus.BusTest;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// Behaviour every <see cref="IEventBusBackend"/> must give the bus. Each backend runs it through a subclass
/// that only says how to build the backend (like SignalR's scale-out lifetime manager tests).
/// </summary>
public abstract class EventBusConformanceTests : IAsyncLifetime
{

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<IAsyncDisposable> _disposables = [];

    /// <summary>Creates a backend with <paramref name="options"/>; called once per bus.</summary>
    protected abstract IEventBusBackend CreateBackend(EventBusOptions options);

    protected EnrichmentEventBus CreateBus(Action<EventBusOptions>? configure = null, PublishOptions? publishOptions = null)
    {
        var options = new EventBusOptions();
        configure?.Invoke(options);
        return new EnrichmentEventBus(CreateBackend(options), Options.Create(options), NullLogger<EnrichmentEventBus>.Instance,
            new BusMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System,
            Options.Create(publishOptions ?? new PublishOptions()));
    }

    protected async Task<EnrichmentStream> OpenAsync(EnrichmentEventBus bus, string bomId, string? lastEventId = null, string tenant = Tenant)
    {
        var (status, stream) = await bus.OpenStreamAsync(bomId, tenant, lastEventId).AsTask().WaitAsync(StepTimeout);
        Assert.Equal(OpenStreamStatus.Opened, status);
        _disposables.Add(stream!);
        return stream!;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task A_repeated_idempotency_key_appends_nothing_and_returns_the_first_id()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        Assert.True(await bus.ClaimAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout));
        var stream = await OpenAsync(bus, bomId);
        var first = await PublishKeyedAsync(bus, bomId, EnrichmentEventNames.Started, "run-1:started");
        var repeat = await PublishKeyedAsync(bus, bomId, EnrichmentEventNames.Started, "run-1:started");
        var next = await PublishKeyedAsync(bus, bomId, EnrichmentEventNames.Progress, "run-1:p1", 1);

        Assert.Equal(first.EventId, repeat.EventId);
        Assert.NotEqual(first.EventId, next.EventId);
        Assert.Equal(first.EventId, (await NextAsync(stream)).EventId);
        Assert.Equal(next.EventId, (await NextAsync(stream)).EventId);

        // Nothing but the two was appended: the whole log is exactly those.
        var log = await bus.OpenStreamAsync(bomId, Tenant, EventLogId.Start.ToString()).AsTask().WaitAsync(StepTimeout);
        _disposables.Add(log.Stream!);
        Assert.Equal([first.EventId, next.EventId], [(await NextAsync(log.Stream!)).EventId, (await NextAsync(log.Stream!)).EventId]);
        Assert.Equal(next.EventId, (await bus.GetBomForTenantAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout))!.Latest!.EventId);
    }

    [Fact]
    public async Task Idempotency_keys_are_per_bom_and_another_tenant_is_still_refused()
    {
        var bus = CreateBus();
        var (bomA, bomB) = (NewBomId(), NewBomId());
        var a = await PublishKeyedAsync(bus, bomA, EnrichmentEventNames.Started, "same-key");
        var b = await PublishKeyedAsync(bus, bomB, EnrichmentEventNames.Started, "same-key");

        // Appended on both (log ids are per BOM, so the two ids may well be equal).
        Assert.Equal(a.EventId, (await bus.GetBomForTenantAsync(bomA, Tenant).AsTask().WaitAsync(StepTimeout))!.Latest!.EventId);
        Assert.Equal(b.EventId, (await bus.GetBomForTenantAsync(bomB, Tenant).AsTask().WaitAsync(StepTimeout))!.Latest!.EventId);

        await Assert.ThrowsAsync<BomOwnershipException>(() =>
            PublishKeyedAsync(bus, bomA, EnrichmentEventNames.Started, "same-key", tenant: OtherTenant));
    }

    [Fact]
    public async Task An_idempotency_key_is_forgotten_after_the_window()
    {
        var bus = CreateBus(publishOptions: new PublishOptions { IdempotencyWindow = TimeSpan.FromMilliseconds(200) });
        var bomId = NewBomId();
        var first = await PublishKeyedAsync(bus, bomId, EnrichmentEventNames.Started, "k");

        // Bounded poll: the key's expiry is the server's (Redis) business; nothing to await but time.
        var deadline = DateTime.UtcNow + StepTimeout;
        BusEvent again;
        do
        {
            await Task.Delay(100);
            again = await PublishKeyedAsync(bus, bomId, EnrichmentEventNames.Progress, "k", 1);
        }
        while (again.EventId == first.EventId && DateTime.UtcNow < deadline);

        Assert.NotEqual(first.EventId, again.EventId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("caf\u00e9")]
    public async Task A_malformed_idempotency_key_is_refused(string key)
    {
        var bus = CreateBus();
        await Assert.ThrowsAsync<InvalidEventException>(() =>
            PublishKeyedAsync(bus, NewBomId(), EnrichmentEventNames.Started, System.Text.RegularExpressions.Regex.Unescape(key)));
        await Assert.ThrowsAsync<InvalidEventException>(() =>
            PublishKeyedAsync(bus, NewBomId(), EnrichmentEventNames.Started, new string('k', 129)));
    }

    private static Task<BusEvent> PublishKeyedAsync(EnrichmentEventBus bus, string bomId, string eventType, string key, int enriched = 0, string tenant = Tenant) =>
        bus.PublishAsync(bomId, new PublishEventRequest { EventType = eventType, TenantId = tenant, State = State(enriched) }, key)
            .AsTask().WaitAsync(StepTimeout);

    [Fact]
    public async Task Publish_returns_increasing_log_ids()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var ids = new List<EventLogId>();
        ids.Add((await PublishAsync(bus, bomId, EnrichmentEventNames.Started)).LogId);
        for (var i = 1; i <= 5; i++)
        {
            var published = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i);
            Assert.True(published.HasLogId);
            ids.Add(published.LogId);
        }

        for (var i = 1; i < ids.Count; i++)
        {
            Assert.True(ids[i] > ids[i - 1], $"{ids[i]} should follow {ids[i - 1]}");
        }
    }

    [Fact]
    public async Task GetBomForTenant_returns_owner_and_latest_only_to_the_owner()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var last = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 3);

        var bom = await bus.GetBomForTenantAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout);
        Assert.NotNull(bom);
        Assert.Equal(Tenant, bom.TenantId);
        Assert.NotNull(bom.Latest);
        Assert.Equal(last.EventId, bom.Latest.EventId);
        Assert.Equal(EnrichmentEventNames.Progress, bom.Latest.EventType);
        Assert.Equal(3, bom.Latest.ToEnvelope().State!.EnrichedItems);

        Assert.Null(await bus.GetBomForTenantAsync(bomId, OtherTenant).AsTask().WaitAsync(StepTimeout));
        Assert.Null(await bus.GetBomForTenantAsync(NewBomId(), Tenant).AsTask().WaitAsync(StepTimeout));
    }

    [Fact]
    public async Task Claim_makes_an_unowned_bom_the_tenants_without_a_latest_event()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        Assert.True(await bus.ClaimAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout));
        Assert.True(await bus.ClaimAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout));
        Assert.False(await bus.ClaimAsync(bomId, OtherTenant).AsTask().WaitAsync(StepTimeout));

        var bom = await bus.GetBomForTenantAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout);
        Assert.NotNull(bom);
        Assert.Null(bom.Latest);
        await Assert.ThrowsAsync<BomOwnershipException>(() => PublishAsync(bus, bomId, EnrichmentEventNames.Started, tenant: OtherTenant));
    }

    [Fact]
    public async Task Publishing_as_another_tenant_is_refused()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);

        await Assert.ThrowsAsync<BomOwnershipException>(() => PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1, OtherTenant));

        // The refused event left no trace.
        var bom = await bus.GetBomForTenantAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout);
        Assert.Equal(EnrichmentEventNames.Started, bom!.Latest!.EventType);
    }

    [Fact]
    public async Task Invalid_events_are_refused()
    {
        var bus = CreateBus();
        var bomId = NewBomId();

        Task Publish(string id, PublishEventRequest request) => bus.PublishAsync(id, request).AsTask().WaitAsync(StepTimeout);

        await Assert.ThrowsAsync<InvalidEventException>(() => Publish(bomId, new() { EventType = "enrichment.exploded", TenantId = Tenant }));
        await Assert.ThrowsAsync<InvalidEventException>(() => Publish(bomId, new() { EventType = EnrichmentEventNames.Started }));
        await Assert.ThrowsAsync<InvalidEventException>(() => Publish(bomId, new() { EventType = EnrichmentEventNames.Started, TenantId = "bad\r\ntenant" }));
        await Assert.ThrowsAsync<InvalidEventException>(() => Publish(bomId, new() { EventType = EnrichmentEventNames.Progress, TenantId = Tenant }));
        await Assert.ThrowsAsync<InvalidEventException>(() => Publish("bom with spaces", new() { EventType = EnrichmentEventNames.Started, TenantId = Tenant }));
        await Assert.ThrowsAsync<InvalidEventException>(() => Publish("bom*", new() { EventType = EnrichmentEventNames.Started, TenantId = Tenant }));

        Assert.Null(await bus.GetBomForTenantAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout));
    }

    [Fact]
    public async Task OpenStream_is_not_found_for_unknown_boms_and_other_tenants()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);

        var (unknown, _) = await bus.OpenStreamAsync(NewBomId(), Tenant, null).AsTask().WaitAsync(StepTimeout);
        var (foreign, _) = await bus.OpenStreamAsync(bomId, OtherTenant, null).AsTask().WaitAsync(StepTimeout);

        Assert.Equal(OpenStreamStatus.NotFound, unknown);
        Assert.Equal(OpenStreamStatus.NotFound, foreign);
        Assert.Equal(0, bus.TopicCount);
    }

    [Fact]
    public async Task Live_events_are_delivered_in_order_and_the_stream_ends_after_the_terminal_event()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var started = await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(bus, bomId);

        var published = new List<BusEvent>();
        for (var i = 1; i <= 5; i++)
        {
            published.Add(await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i));
        }

        published.Add(await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20));

        var received = await ReadToEndAsync(stream);

        // First the snapshot (the started event as progress, keeping its id), then every live event.
        Assert.Equal(started.EventId, received[0].EventId);
        Assert.Equal(EnrichmentEventNames.Progress, received[0].EventType);
        Assert.Equal(published.Select(e => e.EventId), received.Skip(1).Select(e => e.EventId));
        Assert.Equal(published.Select(e => e.EventType), received.Skip(1).Select(e => e.EventType));
        Assert.True(stream.Ended);
        Assert.True(stream.Recovered);
        Assert.False(await stream.WaitToReadAsync().AsTask().WaitAsync(StepTimeout));
    }

    [Fact]
    public async Task A_late_subscriber_first_gets_the_latest_state_as_progress()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var progress = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 7);

        var stream = await OpenAsync(bus, bomId);
        var first = await NextAsync(stream);

        Assert.Equal(EnrichmentEventNames.Progress, first.EventType);
        Assert.Equal(progress.EventId, first.EventId);
        Assert.Equal(7, first.ToEnvelope().State!.EnrichedItems);
        Assert.False(stream.Ended);
    }

    [Fact]
    public async Task A_subscriber_after_completion_gets_the_terminal_event_and_the_stream_ends()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var completed = await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20);

        var stream = await OpenAsync(bus, bomId);
        var received = await ReadToEndAsync(stream);

        Assert.Equal([completed.EventId], received.Select(e => e.EventId));
        Assert.Equal(EnrichmentEventNames.Completed, received[0].EventType);
        Assert.True(stream.Ended);
    }

    [Fact]
    public async Task Resuming_replays_exactly_the_missed_events_then_continues_live()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var started = await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var missed = new List<BusEvent>();
        for (var i = 1; i <= 3; i++)
        {
            missed.Add(await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i));
        }

        var stream = await OpenAsync(bus, bomId, started.EventId);
        Assert.True(stream.Recovered);
        var completed = await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20);

        var received = await ReadToEndAsync(stream);
        Assert.Equal(missed.Append(completed).Select(e => e.EventId), received.Select(e => e.EventId));
    }

    [Fact]
    public async Task Resuming_from_the_start_of_the_log_replays_all_of_it()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var logged = new List<BusEvent> { await PublishAsync(bus, bomId, EnrichmentEventNames.Started) };
        logged.Add(await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1));

        var stream = await OpenAsync(bus, bomId, EventLogId.Start.ToString());
        Assert.True(stream.Recovered);
        logged.Add(await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20));

        var received = await ReadToEndAsync(stream);
        Assert.Equal(logged.Select(e => e.EventId), received.Select(e => e.EventId));
    }

    [Fact]
    public async Task Resuming_from_the_terminal_event_says_already_ended()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var completed = await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20);

        var (status, stream) = await bus.OpenStreamAsync(bomId, Tenant, completed.EventId).AsTask().WaitAsync(StepTimeout);

        Assert.Equal(OpenStreamStatus.AlreadyEnded, status);
        Assert.Null(stream);
        Assert.Equal(0, bus.TopicCount);
    }

    [Theory]
    [InlineData("1-0")]
    [InlineData("999999999999999-0")]
    [InlineData("not-an-id")]
    [InlineData("3f2a9c6e-legacy-uuid")]
    public async Task Resuming_from_an_unknown_id_gives_the_snapshot_unrecovered(string lastEventId)
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var latest = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 4);

        var stream = await OpenAsync(bus, bomId, lastEventId);
        var first = await NextAsync(stream);

        Assert.False(stream.Recovered);
        Assert.Equal(latest.EventId, first.EventId);
        Assert.Equal(EnrichmentEventNames.Progress, first.EventType);
    }

    [Fact]
    public async Task The_replay_log_keeps_exactly_the_configured_number_of_events()
    {
        var bus = CreateBus(o => o.ReplayLogMaxLength = 5);
        var bomId = NewBomId();
        var published = new List<BusEvent> { await PublishAsync(bus, bomId, EnrichmentEventNames.Started) };
        for (var i = 1; i < 12; i++)
        {
            published.Add(await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i));
        }

        // The log holds the last 5 (indexes 7..11): resuming from index 7 replays 8..11 ...
        var kept = await OpenAsync(bus, bomId, published[7].EventId);
        Assert.True(kept.Recovered);
        for (var i = 8; i < 12; i++)
        {
            Assert.Equal(published[i].EventId, (await NextAsync(kept)).EventId);
        }

        // ... while index 6 and anything older are trimmed: the snapshot, unrecovered.
        foreach (var old in new[] { published[0], published[6] })
        {
            var trimmed = await OpenAsync(bus, bomId, old.EventId);
            Assert.False(trimmed.Recovered);
            Assert.Equal(published[^1].EventId, (await NextAsync(trimmed)).EventId);
        }
    }

    [Fact]
    public async Task Streams_opened_while_publishing_get_a_gap_free_duplicate_free_suffix()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var published = new List<string> { (await PublishAsync(bus, bomId, EnrichmentEventNames.Started)).EventId };

        // Half-way the publisher waits until two streams are open, so some streams always open mid-run (an
        // in-memory publisher could otherwise finish before the opener gets going on a busy machine).
        var twoOpened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publisher = Task.Run(async () =>
        {
            for (var i = 1; i <= 60; i++)
            {
                if (i == 30)
                {
                    await twoOpened.Task.WaitAsync(StepTimeout);
                }

                published.Add((await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i % 20)).EventId);
            }

            published.Add((await PublishAsync(bus, bomId, EnrichmentEventNames.Completed, 20)).EventId);
        });

        var streams = new List<EnrichmentStream>();
        while (!publisher.IsCompleted)
        {
            streams.Add(await OpenAsync(bus, bomId));
            if (streams.Count >= 2)
            {
                twoOpened.TrySetResult();
            }

            await Task.Yield();
        }

        await publisher.WaitAsync(StepTimeout);
        streams.Add(await OpenAsync(bus, bomId));

        foreach (var stream in streams)
        {
            var ids = (await ReadToEndAsync(stream)).Select(e => e.EventId).ToList();
            var start = published.IndexOf(ids[0]);
            Assert.True(start >= 0, $"first id {ids[0]} was never published");
            Assert.Equal(published.Skip(start), ids);
        }

        Assert.True(streams.Count >= 2, "expected streams to be opened while publishing");
    }

    [Fact]
    public async Task All_streams_of_a_bom_share_one_backend_subscription()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        var other = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        await PublishAsync(bus, other, EnrichmentEventNames.Started);

        var streams = new List<EnrichmentStream>();
        for (var i = 0; i < 5; i++)
        {
            streams.Add(await OpenAsync(bus, bomId));
        }

        Assert.Equal(1, bus.TopicCount);
        Assert.Equal(5, bus.LocalSubscriptionCount);

        var otherStream = await OpenAsync(bus, other);
        Assert.Equal(2, bus.TopicCount);

        foreach (var stream in streams)
        {
            await stream.DisposeAsync().AsTask().WaitAsync(StepTimeout);
        }

        Assert.Equal(1, bus.TopicCount);
        await otherStream.DisposeAsync().AsTask().WaitAsync(StepTimeout);
        Assert.Equal(0, bus.TopicCount);
        Assert.Equal(0, bus.LocalSubscriptionCount);

        // A new subscription after the last one left works (the old backend subscription's removal did not take it down).
        var again = await OpenAsync(bus, bomId);
        await NextAsync(again);
        var progress = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1);
        Assert.Equal(progress.EventId, (await NextAsync(again)).EventId);
    }

    [Fact]
    public async Task A_slow_consumer_is_cut_off_without_affecting_others()
    {
        var bus = CreateBus(o => o.SubscriberQueueCapacity = 4);
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var slow = await OpenAsync(bus, bomId);
        var fast = await OpenAsync(bus, bomId);
        await NextAsync(fast); // the snapshot

        // The fast reader keeps pace (each event is read before the next is published); the slow one never reads.
        for (var i = 1; i <= 20; i++)
        {
            var published = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, i);
            Assert.Equal(published.EventId, (await NextAsync(fast)).EventId);
        }

        await Assert.ThrowsAsync<SlowConsumerException>(() => ReadToEndAsync(slow));
    }

    [Fact]
    public async Task One_waiter_shared_by_the_streams_of_two_boms_returns_for_an_event_of_either()
    {
        var bus = CreateBus();
        var first = NewBomId();
        var second = NewBomId();
        await PublishAsync(bus, first, EnrichmentEventNames.Started);
        await PublishAsync(bus, second, EnrichmentEventNames.Started);
        var waiter = new StreamWaiter();
        var streams = new List<EnrichmentStream>();
        foreach (var bomId in new[] { first, second })
        {
            var (status, stream) = await bus.OpenStreamAsync(bomId, Tenant, null, waiter).AsTask().WaitAsync(StepTimeout);
            Assert.Equal(OpenStreamStatus.Opened, status);
            streams.Add(stream!);
            _disposables.Add(stream!);
        }

        foreach (var stream in streams)
        {
            Assert.True(stream.TryRead(out var snapshot)); // the initial events need no wait
            Assert.Equal(EnrichmentEventNames.Progress, snapshot.EventType);
        }

        foreach (var (bomId, step) in new[] { (second, 1), (first, 2), (second, 3) })
        {
            var published = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, step);
            var reader = streams[bomId == first ? 0 : 1];
            var other = streams[bomId == first ? 1 : 0];
            BusEvent? read = null;
            using var timeout = new CancellationTokenSource(StepTimeout);
            while (!reader.TryRead(out read))
            {
                Assert.False(other.TryRead(out _));
                Assert.True(await waiter.WaitAsync(timeout.Token).AsTask().WaitAsync(StepTimeout));
            }

            Assert.Equal(published.EventId, read.EventId);
        }
    }

    [Fact]
    public async Task Wake_ends_a_pending_wait_without_an_event_and_takes_no_room_from_the_queue()
    {
        var bus = CreateBus(o => o.SubscriberQueueCapacity = 2);
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(bus, bomId);
        await NextAsync(stream); // the snapshot

        var wait = stream.WaitToReadAsync().AsTask();
        Assert.False(wait.IsCompleted);
        stream.Wake();
        stream.Wake(); // at most one wake-up is queued
        Assert.True(await wait.WaitAsync(StepTimeout));
        Assert.False(stream.TryRead(out _));

        // A wake-up queued while nobody reads does not count against the capacity: two events still fit.
        stream.Wake();
        var first = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1);
        var second = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 2);
        Assert.Equal(first.EventId, (await NextAsync(stream)).EventId);
        Assert.Equal(second.EventId, (await NextAsync(stream)).EventId);
    }

    [Fact]
    public async Task Delivered_data_is_the_contract_envelope_with_the_event_id()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        var stream = await OpenAsync(bus, bomId);
        await NextAsync(stream);

        await bus.PublishAsync(bomId, new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Failed,
            TenantId = Tenant,
            State = State(5) with { Status = EnrichmentStatus.Failed },
            Payload = JsonDocument.Parse("""{"reason":"é \"quoted\" ✓"}""").RootElement,
            Error = "Supplier API down",
        }).AsTask().WaitAsync(StepTimeout);

        var delivered = await NextAsync(stream);
        var envelope = delivered.ToEnvelope();
        Assert.Equal(delivered.EventId, envelope.EventId);
        Assert.Equal(EnrichmentEventNames.Failed, envelope.EventType);
        Assert.Equal(bomId, envelope.BomId);
        Assert.Equal(Tenant, envelope.TenantId);
        Assert.Equal("Supplier API down", envelope.Error);
        Assert.Equal(5, envelope.State!.EnrichedItems);
        Assert.Equal(bomId, envelope.State.BomId);
        Assert.Equal("é \"quoted\" ✓", envelope.Payload!.Value.GetProperty("reason").GetString());

        using var doc = JsonDocument.Parse(delivered.Json);
        var root = doc.RootElement;
        Assert.Equal("event_id", root.EnumerateObject().First().Name);
        foreach (var name in new[] { "event_type", "bom_id", "tenant_id", "created_at", "state", "payload", "error" })
        {
            Assert.True(root.TryGetProperty(name, out _), $"missing {name}");
        }

        foreach (var name in new[] { "total_items", "enriched_items", "error_items", "processed_items", "percent_complete", "status" })
        {
            Assert.True(root.GetProperty("state").TryGetProperty(name, out _), $"missing state.{name}");
        }

        Assert.True(stream.Ended);
    }

    [Fact]
    public async Task A_traced_publish_is_a_child_of_the_current_activity_and_the_receive_span_links_to_it_while_subscribers_get_the_bare_envelope()
    {
        var bus = CreateBus();
        var bomId = NewBomId();
        Assert.True(await bus.ClaimAsync(bomId, Tenant).AsTask().WaitAsync(StepTimeout));
        var stream = await OpenAsync(bus, bomId);
        var untraced = await PublishAsync(bus, bomId, EnrichmentEventNames.Started);
        Assert.Equal(untraced.Json.ToArray(), (await NextAsync(stream)).Json.ToArray());

        // Samples only this test's spans: other tests running meanwhile publish untraced.
        using var requestSource = new ActivitySource($"test-{Guid.NewGuid():N}");
        var stopped = new ConcurrentQueue<Activity>();
        var received = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BusTracing.SourceName || source == requestSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Source == requestSource
                || options.Tags?.Any(tag => tag.Key == BusTracing.BomIdAttribute && Equals(tag.Value, bomId)) == true
                    ? ActivitySamplingResult.AllDataAndRecorded
                    : ActivitySamplingResult.None,
            // Called for every span of the sources listened to that any listener sampled, so also for this test's
            // twin running on another backend at the same time: only this BOM's spans (and the request) count.
            ActivityStopped = activity =>
            {
                if (activity.Source != requestSource && !Equals(activity.GetTagItem(BusTracing.BomIdAttribute), bomId))
                {
                    return;
                }

                stopped.Enqueue(activity);
                if (activity.OperationName == BusTracing.ReceiveSpanName)
                {
                    received.TrySetResult(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        BusEvent published;
        Activity request;
        using (request = requestSource.StartActivity("POST /api/enrichment/{bom_id}/events")!)
        {
            published = await PublishAsync(bus, bomId, EnrichmentEventNames.Progress, 1);
        }

        var delivered = await NextAsync(stream);
        var receive = await received.Task.WaitAsync(StepTimeout);
        var publish = Assert.Single(stopped, activity => activity.OperationName == BusTracing.PublishSpanName);

        // The client wire is unchanged: the envelope alone, byte for byte.
        Assert.Equal(published.EventId, delivered.EventId);
        Assert.Equal(published.Json.ToArray(), delivered.Json.ToArray());
        Assert.Equal((byte)'{', delivered.Json.Span[0]);

        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(request.SpanId, publish.ParentSpanId);
        Assert.Equal(request.TraceId, publish.TraceId);
        Assert.Equal(published.EventId, publish.GetTagItem(BusTracing.EventIdAttribute));

        Assert.Equal(ActivityKind.Consumer, receive.Kind);
        Assert.NotEqual(publish.TraceId, receive.TraceId); // a root of its own, whatever was current when it started
        Assert.Equal(default, receive.ParentSpanId);
        var link = Assert.Single(receive.Links);
        Assert.Equal(publish.TraceId, link.Context.TraceId);
        Assert.Equal(publish.SpanId, link.Context.SpanId);
        Assert.Equal(published.EventId, receive.GetTagItem(BusTracing.EventIdAttribute));
        Assert.Equal(EnrichmentEventNames.Progress, receive.GetTagItem(BusTracing.EventTypeAttribute));
        Assert.Equal(1, receive.GetTagItem(BusTracing.SubscribersAttribute));
    }
}
