using NotificationHub.Bus;

namespace NotificationHub.Tests.Bus;

/// <summary>
/// The per-subscriber queue under the bus (a ring buffer with one reusable waiter): exact capacity, cut-off, wake-ups,
/// completion, cancellation, order, and many writers against the single reader. The conformance suites cover it
/// through <see cref="EnrichmentStream"/> on both backends; these pin its own contract.
/// </summary>
public sealed class LocalSubscriptionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Exactly_capacity_events_are_queued_then_the_overflowing_write_cuts_the_subscriber_off()
    {
        var subscription = NewSubscription(capacity: 3);
        Assert.All(Enumerable.Range(1, 3), i => Assert.True(subscription.TryDeliver(Event(i))));
        Assert.Equal(3, subscription.Count);

        Assert.False(subscription.TryDeliver(Event(4))); // the overflow: cut off
        Assert.True(subscription.IsCutOff);
        Assert.Equal(0, subscription.Count); // what was queued is dropped: the client resumes from the log
        Assert.True(subscription.TryDeliver(Event(5))); // later writes to the closed queue are ignored
        Assert.False(subscription.TryTake(out _));
        await Assert.ThrowsAsync<SlowConsumerException>(() => subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout));
        await WaitUntilCancelledAsync(subscription.CutOffToken);
        Assert.False(subscription.CutOff()); // already cut off
    }

    [Fact]
    public async Task A_pending_wait_throws_when_the_subscriber_is_cut_off()
    {
        var subscription = NewSubscription(capacity: 4);
        var wait = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);

        Assert.True(subscription.CutOff());

        await Assert.ThrowsAsync<SlowConsumerException>(() => wait.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_pending_wait_returns_true_on_a_delivery_and_on_a_wake_up_and_false_once_completed_and_drained()
    {
        var subscription = NewSubscription(capacity: 4);

        var wait = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        subscription.TryDeliver(Event(1));
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.True(subscription.TryTake(out var first));
        Assert.Equal("1", first.EventId);

        wait = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        subscription.Wake();
        Assert.True(await wait.WaitAsync(Timeout));
        Assert.False(subscription.TryTake(out _)); // woken without an event

        subscription.Wake(); // no wait pending: the next wait returns at once, once
        Assert.True(await subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout));
        var idle = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        Assert.False(idle.IsCompleted);

        subscription.TryDeliver(Event(2));
        Assert.True(await idle.WaitAsync(Timeout));
        subscription.Complete();
        Assert.True(await subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout)); // event 2 is still queued
        Assert.True(subscription.TryTake(out var second));
        Assert.Equal("2", second.EventId);
        Assert.False(await subscription.WaitToReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.False(subscription.IsCutOff);
    }

    [Fact]
    public async Task A_cancelled_wait_throws_and_the_next_wait_still_works()
    {
        var subscription = NewSubscription(capacity: 4);
        using var cancel = new CancellationTokenSource();
        var wait = subscription.WaitToReadAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(Timeout));
        var next = subscription.WaitToReadAsync(CancellationToken.None).AsTask();
        subscription.TryDeliver(Event(1));
        Assert.True(await next.WaitAsync(Timeout));
        Assert.True(subscription.TryTake(out _));

        // Nothing queued and the token already cancelled: cancelled at once.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => subscription.WaitToReadAsync(cancel.Token).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public void Events_come_out_in_order_while_the_ring_grows_and_wraps_around()
    {
        var subscription = NewSubscription(capacity: 64);
        var next = 0;
        var taken = new List<int>();
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < 1 + (round % 7) * 5; i++)
            {
                Assert.True(subscription.TryDeliver(Event(next++)));
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
    }

    [Fact]
    public async Task Many_writers_and_wake_ups_against_one_reader_lose_and_duplicate_nothing()
    {
        const int Writers = 4, PerWriter = 20_000;
        var subscription = NewSubscription(capacity: Writers * PerWriter); // never full: this is about races, not cut-off
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
                subscription.TryDeliver(Event($"{w}:{i}"));
                if (i % 97 == 0)
                {
                    subscription.Wake();
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

    private static LocalSubscription NewSubscription(int capacity) => new(new BomTopic(bus: null!, "bom-1", "tenant-a", floor: null), capacity); // the topic's sink side is not used here

    private static BusEvent Event(int n) => Event(n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static BusEvent Event(string id) => new(id, "enrichment.progress", "bom-1", "tenant-a", "{}"u8.ToArray());

    private static async Task WaitUntilCancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource();
        await using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(Timeout, CancellationToken.None);
    }
}
