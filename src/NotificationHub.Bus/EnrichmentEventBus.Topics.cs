namespace NotificationHub.Bus;

// Local fan-out: one backend subscription per BOM, however many local watchers.
public sealed partial class EnrichmentEventBus
{
    private readonly Dictionary<string, BomTopic> _topics = new(StringComparer.Ordinal);
    private readonly Lock _topicsLock = new();

    /// <summary>Local watchers across all BOMs (for tests and health).</summary>
    public int LocalSubscriptionCount
    {
        get
        {
            lock (_topicsLock)
            {
                return _topics.Values.Sum(t => t.RefCount);
            }
        }
    }

    /// <summary>BOMs this node holds a backend subscription for.</summary>
    public int TopicCount
    {
        get
        {
            lock (_topicsLock)
            {
                return _topics.Count;
            }
        }
    }

    /// <summary>
    /// Events written to the topics' rings and not yet taken by the subscribers' transports, summed over the
    /// subscribers (each at most <see cref="EventBusOptions.SubscriberQueueCapacity"/> behind).
    /// </summary>
    public long QueuedEventCount
    {
        get
        {
            BomTopic[] topics;
            lock (_topicsLock)
            {
                topics = [.. _topics.Values];
            }

            long queued = 0;
            foreach (var topic in topics)
            {
                foreach (var subscriber in topic.Subscribers)
                {
                    queued += subscriber.Lag;
                }
            }

            return queued;
        }
    }

    private async ValueTask<TopicCursor> JoinAsync(string bomId, string ownerTenantId, EventLogId? floor, StreamWaiter waiter, CancellationToken cancellationToken)
    {
        BomTopic topic;
        TopicCursor subscription;
        lock (_topicsLock)
        {
            if (!_topics.TryGetValue(bomId, out topic!))
            {
                topic = new BomTopic(this, bomId, ownerTenantId, floor, _options.SubscriberQueueCapacity) { NextLogCheck = FirstLogCheck() };
                _topics.Add(bomId, topic);
                // Started under the lock so every joiner awaits the same subscription; the backend call itself
                // does not block (it returns a task).
                topic.BackendSubscription = SubscribeBackendAsync(topic);
            }

            topic.RefCount++;
            lock (topic.Gate)
            {
                // In step with the fan-out: a subscriber starts at the head, and is among the subscribers the next
                // event counts as its readers (TopicRing clears a slot after its last reader).
                subscription = new TopicCursor(topic, waiter);
                topic.Subscribers = topic.Subscribers.Add(subscription);
            }
        }

        _metrics.Subscriptions.Add(1);
        try
        {
            await topic.BackendSubscription!.WaitAsync(cancellationToken);
        }
        catch
        {
            await LeaveAsync(subscription);
            throw;
        }

        return subscription;
    }

    private async Task<IAsyncDisposable> SubscribeBackendAsync(BomTopic topic)
    {
        await Task.Yield();
        var handle = await _backend.SubscribeAsync(topic.BomId, topic, CancellationToken.None);
        _metrics.Topics.Add(1);
        BusLog.TopicSubscribed(_logger, topic.BomId);
        return handle;
    }

    private async ValueTask LeaveAsync(TopicCursor subscription)
    {
        var topic = subscription.Topic;
        var last = false;
        lock (_topicsLock)
        {
            if (!topic.Subscribers.Contains(subscription))
            {
                return;
            }

            topic.Subscribers = topic.Subscribers.Remove(subscription);
            topic.RefCount--;
            if (topic.RefCount == 0)
            {
                _topics.Remove(topic.BomId);
                last = true;
            }
        }

        subscription.Complete();
        _metrics.Subscriptions.Add(-1);
        if (!last)
        {
            return;
        }

        // A new topic for the same BOM may subscribe meanwhile; the handle unsubscribes only this topic's subscription.
        try
        {
            var handle = await topic.BackendSubscription!;
            await handle.DisposeAsync();
            _metrics.Topics.Add(-1);
            BusLog.TopicUnsubscribed(_logger, topic.BomId);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BusLog.UnsubscribeFailed(_logger, topic.BomId, ex);
        }
    }

    /// <summary>Called by the backend, in order, for each event on a BOM's channel.</summary>
    internal void Dispatch(BomTopic topic, BusEvent busEvent, ReadOnlySpan<byte> traceParent)
    {
        if (!string.Equals(busEvent.TenantId, topic.OwnerTenantId, StringComparison.Ordinal))
        {
            Drop(topic.BomId, "tenant is not the BOM's owner");
            return;
        }

        using var receive = BusTracing.StartReceive(busEvent, traceParent);
        lock (topic.Gate)
        {
            if (topic.Recovering)
            {
                // Held back until the log was re-read, so a live event never overtakes a recovered one.
                if (topic.Pending.Count < _options.SubscriberQueueCapacity)
                {
                    topic.Pending.Add(busEvent);
                }
                else if (busEvent.HasLogId)
                {
                    topic.PendingOverflowed = true; // not lost: recovery reads the log once more
                }
                else
                {
                    Drop(topic.BomId, "live-only message while recovering, too many pending");
                }

                return;
            }

            var delivered = FanOut(topic, busEvent);
            receive?.SetTag(BusTracing.SubscribersAttribute, delivered);
        }
    }

    /// <summary>
    /// Writes an event once into the topic's ring and wakes every subscriber; one more than the ring's capacity
    /// behind is cut off instead. Called under <see cref="BomTopic.Gate"/>.
    /// </summary>
    /// <returns>The subscribers woken for it.</returns>
    internal int FanOut(BomTopic topic, BusEvent busEvent)
    {
        if (busEvent.HasLogId)
        {
            if (topic.LastLogId is { } last && busEvent.LogId <= last)
            {
                return 0; // already fanned out (live and re-read after an outage overlap)
            }

            topic.LastLogId = busEvent.LogId;
        }

        var subscribers = topic.Subscribers;
        var head = topic.Ring.Append(busEvent, subscribers);
        var delivered = 0;
        foreach (var subscriber in subscribers)
        {
            if (subscriber.IsCutOff)
            {
                continue;
            }

            if (head - subscriber.Next > topic.Ring.Capacity)
            {
                CutOffSlowConsumer(subscriber);
                continue;
            }

            subscriber.Wake(); // no reference to the event is written here: the subscriber reads it from the ring
            delivered++;
        }

        _metrics.Delivered.Add(delivered);
        return delivered;
    }

    /// <summary>Cuts off a subscriber more than the ring's capacity behind (by the fan-out, or by its reader first).</summary>
    internal void CutOffSlowConsumer(TopicCursor subscriber)
    {
        if (subscriber.CutOff())
        {
            _metrics.SlowConsumers.Add(1);
            BusLog.SlowConsumer(_logger, subscriber.Topic.BomId, subscriber.Topic.Ring.Capacity);
        }
    }

    internal void Drop(string bomId, string reason)
    {
        _metrics.Dropped.Add(1);
        BusLog.DroppedChannelMessage(_logger, bomId, reason);
    }
}
