namespace NotificationHub.Bus;

// Recovery of a watched BOM whose live delivery may have missed events: the backend interrupted its subscription (a
// Redis node died, a connection dropped) or the periodic log check found its log ahead of what was fanned out. The
// topic re-reads its log after the last event it fanned out, so local subscribers see no gap. Everything is per
// topic: a fault that touches some subscriptions holds and recovers only those.
public sealed partial class EnrichmentEventBus
{
    private static readonly TimeSpan MaxRecoveryBackoff = TimeSpan.FromSeconds(2);

    /// <summary>Concurrent log reads of one log-check round: the backstop must never crowd out live traffic.</summary>
    private const int MaxConcurrentLogChecks = 8;

    private readonly ITimer _logCheckTimer;
    private int _logCheckRunning;

    /// <summary>The backend lost the topic's live delivery: hold its live events until it is restored and the log re-read.</summary>
    internal void OnInterrupted(BomTopic topic)
    {
        lock (topic.Gate)
        {
            topic.Interrupted = true;
            topic.Recovering = true;
        }

        BusLog.LiveDeliveryInterrupted(_logger, topic.BomId);
    }

    /// <summary>The topic's channel is confirmed subscribed again: whatever was published from now on arrives live.</summary>
    internal void OnRestored(BomTopic topic)
    {
        lock (topic.Gate)
        {
            topic.Interrupted = false;
        }

        BusLog.LiveDeliveryRestored(_logger, topic.BomId);
        Recover(topic);
    }

    /// <summary>Holds the topic's live events and re-reads its log; when a recovery already runs, it reads once more.</summary>
    private void Recover(BomTopic topic)
    {
        lock (topic.Gate)
        {
            topic.Recovering = true;
            if (topic.RecoveryRunning)
            {
                topic.RecoverAgain = true;
                return;
            }

            topic.RecoveryRunning = true;
        }

        _ = RecoverAsync(topic);
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
                if (topic.Interrupted)
                {
                    // A read now could miss what is published before the channel is subscribed again; the restore
                    // starts the read then.
                    topic.RecoveryRunning = false;
                    return;
                }

                topic.RecoverAgain = false;
                after = topic.LastLogId ?? topic.Floor ?? EventLogId.Start;
            }

            ReplayResult replay;
            try
            {
                replay = await _backend.ReadAfterAsync(topic.BomId, after.ToString(), CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (IsAbandoned(topic))
                {
                    lock (topic.Gate)
                    {
                        topic.RecoveryRunning = false;
                    }

                    return;
                }

                // Redis answers again on the subscription but not yet for commands (another connection is still
                // reconnecting, a failover is under way): the topic stays held, and the read is retried.
                if (ex is not BusUnavailableException)
                {
                    BusLog.RecoveryFailed(_logger, topic.BomId, ex);
                }

                await Task.Delay(backoff * (0.5 + Random.Shared.NextDouble()));
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

                if (topic.Interrupted)
                {
                    // Interrupted again during the read: what was read is in order and fanned out; the held live
                    // events wait for the read that follows the restore.
                    topic.RecoveryRunning = false;
                    return;
                }

                foreach (var pending in topic.Pending)
                {
                    FanOut(topic, pending);
                }

                topic.Pending.Clear();
                if ((topic.PendingOverflowed && replay.Found) || topic.RecoverAgain)
                {
                    // More live events came than were held (the ones let go are in the log after what was fanned
                    // out), or another recovery was asked for meanwhile.
                    topic.PendingOverflowed = false;
                    continue;
                }

                topic.PendingOverflowed = false;
                topic.Recovering = false;
                topic.RecoveryRunning = false;
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

    // The periodic log check: the backstop for anything live delivery missed without the backend noticing (a shard
    // channel moved with its slot, a message lost between Redis nodes). Every watched BOM's latest log id is read
    // once per Bus:LogCheckInterval, each at its own random phase so the reads spread over the interval, at most
    // MaxConcurrentLogChecks at a time. A BOM found behind is checked again after a short grace (a live event may
    // simply be on its way) and recovered if it still is.

    private ITimer StartLogChecks()
    {
        var tick = TimeSpan.FromTicks(Math.Clamp(_options.LogCheckInterval.Ticks / 4, TimeSpan.TicksPerMillisecond * 50, TimeSpan.TicksPerSecond));

        // The timer holds the bus only weakly, so a bus nobody references any more (tests make many) is collected
        // and its timer with it.
        var self = new WeakReference<EnrichmentEventBus>(this);
        return _time.CreateTimer(static state =>
        {
            if (((WeakReference<EnrichmentEventBus>)state!).TryGetTarget(out var bus))
            {
                _ = bus.CheckLogsAsync();
            }
        }, self, tick, tick);
    }

    private long IntervalTimestamp(TimeSpan interval) => (long)(interval.TotalSeconds * _time.TimestampFrequency);

    /// <summary>A new topic's first log check: one to two intervals from now, so topics spread over the interval.</summary>
    private long FirstLogCheck() =>
        _time.GetTimestamp() + (long)(IntervalTimestamp(_options.LogCheckInterval) * (1 + Random.Shared.NextDouble()));

    /// <summary>One round: checks the topics that are due (a round still running skips this one).</summary>
    internal async Task CheckLogsAsync()
    {
        if (Interlocked.Exchange(ref _logCheckRunning, 1) == 1)
        {
            return;
        }

        try
        {
            var now = _time.GetTimestamp();
            var interval = IntervalTimestamp(_options.LogCheckInterval);
            List<BomTopic>? due = null;
            lock (_topicsLock)
            {
                foreach (var topic in _topics.Values)
                {
                    if (topic.NextLogCheck <= now && topic.BackendSubscription is { IsCompletedSuccessfully: true })
                    {
                        topic.NextLogCheck = now + interval;
                        (due ??= []).Add(topic);
                    }
                }
            }

            if (due is not null)
            {
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentLogChecks },
                    (topic, cancellationToken) => CheckLogAsync(topic, cancellationToken));
            }
        }
        finally
        {
            Volatile.Write(ref _logCheckRunning, 0);
        }
    }

    private async ValueTask CheckLogAsync(BomTopic topic, CancellationToken cancellationToken)
    {
        BomInfo? bom;
        try
        {
            bom = await _backend.GetBomAsync(topic.BomId, cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BusLog.LogCheckFailed(_logger, topic.BomId, ex); // the next round tries again
            return;
        }

        if (bom?.Latest is not { HasLogId: true } latest)
        {
            return;
        }

        var recover = false;
        lock (topic.Gate)
        {
            var delivered = topic.LastLogId ?? topic.Floor;
            if (topic.Recovering || (delivered is { } last && latest.LogId <= last))
            {
                topic.SuspectedGap = null;
                return;
            }

            if (topic.SuspectedGap is { } gap && !(delivered >= gap))
            {
                topic.SuspectedGap = null;
                recover = true;
            }
            else
            {
                topic.SuspectedGap = latest.LogId;
            }
        }

        if (recover)
        {
            BusLog.LogAheadOfDelivery(_logger, topic.BomId, latest.EventId);
            Recover(topic);
            return;
        }

        var grace = _options.LogCheckInterval < TimeSpan.FromSeconds(1) ? _options.LogCheckInterval : TimeSpan.FromSeconds(1);
        lock (_topicsLock)
        {
            topic.NextLogCheck = _time.GetTimestamp() + IntervalTimestamp(grace);
        }
    }
}
