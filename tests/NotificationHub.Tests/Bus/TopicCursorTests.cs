using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Bus.InMemory;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// The fan-out under the bus: one ring of recent events per topic, written once per event, and per subscriber an
/// integer cursor and a waiter it is woken through. Exact capacity, cut-off, wake-ups (also of one reader over two
/// topics), completion, cancellation, order while the ring grows and wraps, many writers against one reader, and what
/// a subscription and a delivery allocate. The conformance suites cover it through <see cref="EnrichmentStream"/> on
/// both backends; these pin its own contract.
/// </summary>
public sealed class TopicCursorTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Theory]
    [InlineData(3)] // the ring rounds up to 4 slots
    [InlineData(8)] // exactly the ring's length
    public void A_subscriber_exactly_capacity_behind_reads_everything_and_one_more_event_cuts_it_off(int capacity)
    {
        var (bus, topic) = NewTopic(capacity);
        var behind = Join(topic);
        var caughtUp = Join(topic);
        var exact = Join(topic);
        var next = 0;
        for (var round = 0; round < 5; round++) // the ring wraps around several times
        {
            for (var i = 0; i < capacity; i++)
            {
                Deliver(bus, topic, next++);
                Assert.True(caughtUp.TryTake(out _));
            }

            Assert.Equal(capacity, exact.Lag);
            for (var i = next - capacity; i < next; i++)
            {
                Assert.True(exact.TryTake(out var e));
                Assert.Equal(Id(i), e.EventId);
            }

            Assert.False(exact.TryTake(out _));
            Assert.False(exact.IsCutOff);
        }

        Assert.True(behind.IsCutOff); // it never read: cut off at the write that put it capacity + 1 behind
        Assert.Equal(0, behind.Lag);
        Assert.False(behind.TryTake(out _)); // what it did not read is not delivered: the client resumes from the log

        var oneMore = Join(topic);
        for (var i = 0; i < capacity; i++)
        {
            Deliver(bus, topic, next++);
        }

        Assert.False(oneMore.IsCutOff);
        Deliver(bus, topic, next++);
        Assert.True(oneMore.IsCutOff);
    }

    [Fact]
    public async Task The_overflowing_write_cuts_the_subscriber_off_its_wait_throws_and_its_token_is_cancelled()
    {
        var (bus, topic) = NewTopic(capacity: 3);
        var subscription = Join(topic);
        Assert.All(Enumerable.Range(1, 3), i => Deliver(bus, topic, i));
        Assert.Equal(3, subscription.Lag);

        Deliver(bus, topic, 4); // the overflow: cut off
        Assert.True(subscription.IsCutOff);
        Assert.Equal(0, subscription.Lag);
        Assert.False(subscription.TryTake(out _));
        await Assert.ThrowsAsync<SlowConsumerException>(() => subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout));
        await WaitUntilCancelledAsync(subscription.CutOffToken);
        Assert.False(subscription.CutOff()); // already cut off
    }

    [Fact]
    public async Task A_pending_wait_throws_when_the_subscriber_is_cut_off()
    {
        var (_, topic) = NewTopic(capacity: 4);
        var subscription = Join(topic);
        var wait = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(subscription.CutOff());

        await Assert.ThrowsAsync<SlowConsumerException>(() => wait.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_pending_wait_returns_true_on_a_delivery_and_on_a_wake_up_and_false_once_completed_and_drained()
    {
        var (bus, topic) = NewTopic(capacity: 4);
        var subscription = Join(topic);

        var wait = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        Deliver(bus, topic, 1);
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(subscription.TryTake(out var first));
        Assert.Equal("1", first.EventId);

        wait = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        subscription.Waiter.Wake();
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.False(subscription.TryTake(out _)); // woken without an event

        subscription.Waiter.Wake(); // no wait pending: the next wait returns at once, once
        Assert.True(await subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout));
        var idle = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(idle.IsCompleted);

        Deliver(bus, topic, 2);
        Assert.True(await idle.WaitAsync(Timeout));
        subscription.Complete();
        Assert.True(await subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout)); // event 2 is still unread
        Assert.True(subscription.TryTake(out var second));
        Assert.Equal("2", second.EventId);
        Assert.False(await subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.False(subscription.IsCutOff);
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_next_wait_still_works()
    {
        var (bus, topic) = NewTopic(capacity: 4);
        var subscription = Join(topic);
        using var cancel = new CancellationTokenSource();
        var wait = subscription.WaitToReadAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Timeout));
        var next = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        Deliver(bus, topic, 1);
        Assert.True(await next.WaitAsync(Timeout));
        Assert.True(subscription.TryTake(out _));

        // Nothing to read and the token already cancelled: cancelled at once.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscription.WaitToReadAsync(cancel.Token).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task One_reader_with_cursors_on_two_topics_is_woken_by_either_and_reads_each_in_order()
    {
        var (bus, first) = NewTopic(capacity: 8);
        var second = new BomTopic(bus, "bom-2", "tenant-a", floor: null, capacity: 8);
        var waiter = new StreamWaiter();
        var a = Join(first, waiter);
        var b = Join(second, waiter);

        var wait = waiter.WaitAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Deliver(bus, second, 1);
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.False(a.TryTake(out _));
        Assert.True(b.TryTake(out var fromSecond));
        Assert.Equal("1", fromSecond.EventId);

        wait = waiter.WaitAsync().AsTask();
        Assert.False(wait.IsCompleted);
        Deliver(bus, first, 2);
        Deliver(bus, first, 3);
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(a.TryTake(out var e2));
        Assert.True(a.TryTake(out var e3));
        Assert.Equal(["2", "3"], new[] { e2.EventId, e3.EventId });

        // A cut-off of one topic wakes the shared wait without ending it: the other topic's cursor reads on.
        wait = waiter.WaitAsync().AsTask();
        Assert.True(b.CutOff());
        Assert.True(await wait.WaitAsync(Timeout));
        Deliver(bus, first, 4);
        Assert.True(a.TryTake(out var e4));
        Assert.Equal("4", e4.EventId);
    }

    [Fact]
    public void Events_come_out_in_order_while_the_ring_grows_and_wraps_around()
    {
        var (bus, topic) = NewTopic(capacity: 64);
        var subscription = Join(topic);
        var next = 0;
        var taken = new List<int>();
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < 1 + (round % 7) * 5; i++)
            {
                Deliver(bus, topic, next++);
            }

            for (var i = 0; i < 20 && subscription.TryTake(out var e); i++)
            {
                taken.Add(int.Parse(e.EventId, System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        while (subscription.TryTake(out var e))
        {
            taken.Add(int.Parse(e.EventId, System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Equal(Enumerable.Range(0, next), taken);
        Assert.False(subscription.IsCutOff);
        Assert.InRange(topic.Ring.Length, TopicRing.InitialSlots, 64); // grown as far as the reader fell behind, no further
    }

    [Fact]
    public void The_ring_stays_small_while_its_subscribers_keep_pace_and_grows_only_as_far_as_one_falls_behind()
    {
        var (bus, topic) = NewTopic(capacity: 1024);
        Assert.Equal(0, topic.Ring.Length); // a topic without events holds no array
        var subscribers = Enumerable.Range(0, 10).Select(_ => Join(topic)).ToArray();
        for (var i = 0; i < 1000; i++)
        {
            Deliver(bus, topic, i);
            Assert.All(subscribers, s => Assert.True(s.TryTake(out _)));
        }

        Assert.Equal(TopicRing.InitialSlots, topic.Ring.Length);

        for (var i = 1000; i < 1020; i++)
        {
            Deliver(bus, topic, i); // subscriber 0 falls 20 behind
            Assert.All(subscribers.Skip(1), s => Assert.True(s.TryTake(out _)));
        }

        Assert.Equal(32, topic.Ring.Length);
    }

    [Fact]
    public void The_ring_lets_go_of_an_event_once_its_last_subscriber_read_it()
    {
        var (bus, topic) = NewTopic(capacity: 1024);
        var subscribers = Enumerable.Range(0, 3).Select(_ => Join(topic)).ToArray();
        var delivered = DeliverUntracked(bus, topic);
        Assert.All(subscribers.Take(2), s => Assert.True(TakeUntracked(s)));
        GC.Collect();
        Assert.True(delivered.IsAlive); // one subscriber has not read it yet

        Assert.True(TakeUntracked(subscribers[2]));
        GC.Collect();
        Assert.False(delivered.IsAlive); // an event does not live on in the ring: it dies young
    }

    [Fact]
    public async Task Many_writers_and_wake_ups_against_one_reader_lose_and_duplicate_nothing()
    {
        const int Writers = 4, PerWriter = 20_000;
        var (bus, topic) = NewTopic(capacity: Writers * PerWriter); // never cut off: this is about races
        var subscription = Join(topic);
        var received = new List<string>(Writers * PerWriter);
        var reader = Task.Run(async () =>
        {
            while (await subscription.WaitToReadAsync(CancellationToken.None))
            {
                while (subscription.TryTake(out var e))
                {
                    received.Add(e.EventId);
                }
            }
        });

        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                Deliver(bus, topic, $"{w}:{i}");
                if (i % 97 == 0)
                {
                    subscription.Waiter.Wake();
                }
            }
        })).ToArray();
        await Task.WhenAll(writers).WaitAsync(Timeout);
        subscription.Complete();
        await reader.WaitAsync(Timeout);

        Assert.Equal(Writers * PerWriter, received.Count);
        foreach (var group in received.GroupBy(id => id.Split(':')[0]))
        {
            Assert.Equal(Enumerable.Range(0, PerWriter), group.Select(id => int.Parse(id.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public void A_subscription_allocates_no_ring_array_whatever_the_capacity()
    {
        var (_, small) = NewTopic(capacity: 1);
        var (_, large) = NewTopic(capacity: 1_000_000);
        Join(small);
        Join(large); // warm: the first call of each path may allocate once

        var forSmall = AllocatedBy(() => Join(small));
        var forLarge = AllocatedBy(() => Join(large));

        Assert.Equal(forSmall, forLarge);
        Assert.True(forLarge < 1024, $"{forLarge} bytes per subscription"); // the cursor, its waiter and token source, the list's copy
    }

    [Fact]
    public void A_delivery_allocates_nothing_per_subscriber()
    {
        var (bus, topic) = NewTopic(capacity: 1024);
        var subscribers = Enumerable.Range(0, 100).Select(_ => Join(topic)).ToArray();
        var events = Enumerable.Range(0, 200).Select(i => Event(Id(i))).ToArray();
        for (var i = 0; i < 100; i++)
        {
            Deliver(bus, topic, events[i]); // warm: the ring grows to its 8 slots, the readers' wake-ups become pending
            Assert.All(subscribers, s => Assert.True(s.TryTake(out _)));
        }

        var allocated = 0L;
        for (var i = 100; i < 200; i++)
        {
            allocated += AllocatedBy(() => Deliver(bus, topic, events[i]));
            foreach (var subscriber in subscribers)
            {
                Assert.True(subscriber.TryTake(out _));
            }
        }

        Assert.Equal(0, allocated); // 100 events to 100 subscribers whose readers are busy (not waiting)
    }

    public void Dispose() => _services.Dispose();

    private (EnrichmentEventBus Bus, BomTopic Topic) NewTopic(int capacity)
    {
        var options = new EventBusOptions { SubscriberQueueCapacity = capacity };
        var bus = new EnrichmentEventBus(new InMemoryEventBusBackend(Options.Create(options), TimeProvider.System), Options.Create(options),
            NullLogger<EnrichmentEventBus>.Instance, new BusMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System);
        var topic = new BomTopic(bus, "bom-1", "tenant-a", floor: null, capacity);
        return (bus, topic);
    }

    private static TopicCursor Join(BomTopic topic, StreamWaiter? waiter = null)
    {
        var cursor = new TopicCursor(topic, waiter ?? new StreamWaiter(shared: false));
        topic.Subscribers = topic.Subscribers.Add(cursor);
        return cursor;
    }

    private static void Deliver(EnrichmentEventBus bus, BomTopic topic, int n) => Deliver(bus, topic, Id(n));

    private static void Deliver(EnrichmentEventBus bus, BomTopic topic, string id) => Deliver(bus, topic, Event(id));

    private static void Deliver(EnrichmentEventBus bus, BomTopic topic, BusEvent busEvent)
    {
        lock (topic.Gate)
        {
            bus.FanOut(topic, busEvent);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference DeliverUntracked(EnrichmentEventBus bus, BomTopic topic)
    {
        var busEvent = Event("untracked");
        Deliver(bus, topic, busEvent);
        return new WeakReference(busEvent);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static bool TakeUntracked(TopicCursor subscriber) => subscriber.TryTake(out _);

    private static long AllocatedBy(Action action)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static string Id(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static BusEvent Event(string id) => new(id, "enrichment.progress", "bom-1", "tenant-a", "{}"u8.ToArray());

    private static async Task WaitUntilCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource();
        await using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(Timeout, CancellationToken.None);
    }
}
