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

    private async ValueTask<LocalSubscription> JoinAsync(string bomId, string ownerTenantId, CancellationToken cancellationToken)
    {
        BomTopic topic;
        LocalSubscription subscription;
        lock (_topicsLock)
        {
            if (!_topics.TryGetValue(bomId, out topic!))
            {
                topic = new BomTopic(bomId, ownerTenantId);
                _topics.Add(bomId, topic);
                // Started under the lock so every joiner awaits the same subscription; the backend call itself
                // does not block (it returns a task).
                topic.BackendSubscription = SubscribeBackendAsync(topic);
            }

            topic.RefCount++;
            subscription = new LocalSubscription(topic, _options.SubscriberQueueCapacity);
            topic.Subscribers = topic.Subscribers.Add(subscription);
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
        var handle = await _backend.SubscribeAsync(topic.BomId, message => Dispatch(topic, message), CancellationToken.None);
        _metrics.Topics.Add(1);
        BusLog.TopicSubscribed(_logger, topic.BomId);
        return handle;
    }

    private async ValueTask LeaveAsync(LocalSubscription subscription)
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

    /// <summary>Called by the backend, in order, for each message on a BOM's channel.</summary>
    private void Dispatch(BomTopic topic, ReadOnlyMemory<byte> message)
    {
        var busEvent = ChannelMessageReader.TryRead(topic.BomId, message, _options.MaxEventBytes, out var dropReason);
        if (busEvent is null)
        {
            Drop(topic.BomId, dropReason!);
            return;
        }

        if (!string.Equals(busEvent.TenantId, topic.OwnerTenantId, StringComparison.Ordinal))
        {
            Drop(topic.BomId, "tenant is not the BOM's owner");
            return;
        }

        var delivered = 0;
        foreach (var subscriber in topic.Subscribers)
        {
            if (subscriber.TryDeliver(busEvent))
            {
                delivered++;
            }
            else
            {
                _metrics.SlowConsumers.Add(1);
                BusLog.SlowConsumer(_logger, topic.BomId, subscriber.Capacity);
            }
        }

        _metrics.Delivered.Add(delivered);
    }

    private void Drop(string bomId, string reason)
    {
        _metrics.Dropped.Add(1);
        BusLog.DroppedChannelMessage(_logger, bomId, reason);
    }
}
