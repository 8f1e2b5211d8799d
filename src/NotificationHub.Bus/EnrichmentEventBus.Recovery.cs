namespace NotificationHub.Bus;

// Recovery after the backend's live delivery was interrupted (a Redis restart, a dropped subscription connection):
// each watched BOM re-reads its log after the last event it fanned out, so local subscribers see no gap.
public sealed partial class EnrichmentEventBus
{
    private static readonly TimeSpan MaxRecoveryBackoff = TimeSpan.FromSeconds(2);
    private int _interruptions;
    private int _recoveredInterruptions;

    /// <summary>
    /// False from an interruption of the backend's live delivery until every watched BOM was recovered from the
    /// log (readiness reports it).
    /// </summary>
    public bool IsLiveDeliveryHealthy => Volatile.Read(ref _recoveredInterruptions) == Volatile.Read(ref _interruptions);

    private void OnLiveDeliveryInterrupted(object? sender, EventArgs e)
    {
        Interlocked.Increment(ref _interruptions);
        foreach (var topic in TopicsSnapshot())
        {
            lock (topic.Gate)
            {
                topic.Recovering = true;
            }
        }

        BusLog.LiveDeliveryInterrupted(_logger);
    }

    private void OnLiveDeliveryRestored(object? sender, EventArgs e) => _ = RecoverAllAsync();

    private async Task RecoverAllAsync()
    {
        var interruptions = Volatile.Read(ref _interruptions);
        var topics = TopicsSnapshot();
        BusLog.Recovering(_logger, topics.Length);
        try
        {
            await Task.WhenAll(topics.Select(RecoverAsync));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BusLog.RecoveryFailed(_logger, ex);
            return;
        }

        // Healthy again unless another interruption began meanwhile (its own restore recovers it).
        Interlocked.Exchange(ref _recoveredInterruptions, interruptions);
    }

    private BomTopic[] TopicsSnapshot()
    {
        lock (_topicsLock)
        {
            return [.. _topics.Values];
        }
    }

    /// <summary>Re-reads the topic's log after its last fanned-out event, then releases the live events held back meanwhile.</summary>
    private async Task RecoverAsync(BomTopic topic)
    {
        await Task.Yield();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            EventLogId after;
            lock (topic.Gate)
            {
                if (!topic.Recovering)
                {
                    return;
                }

                after = topic.LastLogId ?? topic.Floor ?? EventLogId.Start;
            }

            ReplayResult replay;
            try
            {
                replay = await _backend.ReadAfterAsync(topic.BomId, after.ToString(), CancellationToken.None);
            }
            catch (BusUnavailableException)
            {
                if (IsAbandoned(topic))
                {
                    return;
                }

                // The subscription connection is back but commands still fail (the other connection is reconnecting).
                await Task.Delay(backoff);
                backoff = backoff * 2 > MaxRecoveryBackoff ? MaxRecoveryBackoff : backoff * 2;
                continue;
            }

            lock (topic.Gate)
            {
                if (replay.Found)
                {
                    foreach (var busEvent in replay.Events)
                    {
                        FanOut(topic, busEvent);
                    }

                    _metrics.Recovered.Add(replay.Events.Count);
                    BusLog.Recovered(_logger, topic.BomId, replay.Events.Count);
                }
                else
                {
                    // More events than the log keeps were published meanwhile: the gap cannot be filled here.
                    // Cut the subscribers off; they resume from their last id and get the snapshot, recovered: false.
                    foreach (var subscriber in topic.Subscribers)
                    {
                        if (subscriber.CutOff())
                        {
                            _metrics.SlowConsumers.Add(1);
                        }
                    }

                    BusLog.Unrecoverable(_logger, topic.BomId);
                }

                foreach (var pending in topic.Pending)
                {
                    FanOut(topic, pending);
                }

                topic.Pending.Clear();
                if (topic.PendingOverflowed && replay.Found)
                {
                    // More live events came than were held: the ones let go are in the log after what was fanned out.
                    topic.PendingOverflowed = false;
                    continue;
                }

                topic.PendingOverflowed = false;
                topic.Recovering = false;
                return;
            }
        }
    }

    private bool IsAbandoned(BomTopic topic)
    {
        lock (_topicsLock)
        {
            return !_topics.TryGetValue(topic.BomId, out var current) || !ReferenceEquals(current, topic);
        }
    }
}
