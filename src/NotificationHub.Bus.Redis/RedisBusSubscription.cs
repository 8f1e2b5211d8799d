using System.Net;
using StackExchange.Redis;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// One BOM's subscription on one node: its channel (and the legacy one, if configured), the Redis endpoint that
/// carries each, and its own recovery. When the subscription connection of an endpoint it uses fails, it tells its
/// sink, then subscribes its channels again (backoff with jitter) until the server that serves them now confirmed
/// them, and tells the sink it is restored. It never waits for the lost endpoint to come back: a master replaced by its
/// replica never does.
/// </summary>
internal sealed class RedisBusSubscription : IAsyncDisposable
{
    private static readonly TimeSpan FirstResubscribeDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxResubscribeDelay = TimeSpan.FromSeconds(1);

    // Subscribing a channel once more with a throwaway handler has the library subscribe it where it belongs now
    // (following MOVED to a promoted replica) and complete when the server confirmed, or at once when it is still
    // subscribed on a live connection; removing the handler again leaves the channel subscribed for the queues.
    private static readonly Action<RedisChannel, RedisValue> Confirmation = static (_, _) => { };

    private readonly RedisEventBusBackend _backend;
    private readonly ISubscriber _subscriber;
    private readonly string _bomId;
    private readonly RedisChannel[] _channels;
    private readonly IBusSubscriptionSink _sink;
    private readonly EndPoint?[] _endPoints;
    private readonly List<ChannelMessageQueue> _queues;

    // Each queue calls its handler in order, one message at a time. With the legacy channel there are two queues;
    // the gate keeps the promise that one subscription's sink never gets two messages at once.
    private readonly Lock _messageGate = new();

    // Guards _endPoints, _interrupted and _disposed; the sink's OnInterrupted/OnRestored are called under it, so
    // they never overlap and always alternate.
    private readonly Lock _state = new();
    private bool _interrupted;
    private bool _disposed;

    public RedisBusSubscription(RedisEventBusBackend backend, ISubscriber subscriber, string bomId, RedisChannel[] channels, IBusSubscriptionSink sink)
    {
        _backend = backend;
        _subscriber = subscriber;
        _bomId = bomId;
        _channels = channels;
        _sink = sink;
        _endPoints = new EndPoint?[channels.Length];
        _queues = new List<ChannelMessageQueue>(channels.Length);
    }

    /// <summary>Subscribes every channel; completes once the server confirmed each.</summary>
    public async Task SubscribeAsync()
    {
        foreach (var channel in _channels)
        {
            var queue = await _subscriber.SubscribeAsync(channel);
            _queues.Add(queue);
            queue.OnMessage(Deliver);
        }

        lock (_state)
        {
            TryRecordEndPoints();
        }
    }

    private void Deliver(ChannelMessage message)
    {
        lock (_messageGate)
        {
            _backend.Read(_bomId, (ReadOnlyMemory<byte>)message.Message, _sink);
        }
    }

    /// <summary>
    /// The subscription connection of <paramref name="failed"/> failed: interrupts this subscription if a channel of
    /// it is (or may be) carried there. True when it was interrupted now.
    /// </summary>
    public bool Interrupt(EndPoint failed)
    {
        lock (_state)
        {
            if (_interrupted || _disposed || !MayBeOn(failed))
            {
                return false;
            }

            InterruptLocked();
        }

        _ = ResubscribeAsync();
        return true;
    }

    /// <summary>
    /// Whether a channel may have been carried by <paramref name="failed"/>: the endpoint recorded when the server
    /// confirmed it (not known yet, or that one), or the library does not hold it on another connected endpoint now.
    /// </summary>
    /// <remarks>
    /// The recorded endpoint alone is not enough: when a slot migrates, Redis unsubscribes its shard channels on the
    /// old master (an unsolicited <c>SUNSUBSCRIBE</c>) and StackExchange.Redis subscribes them on the new one by
    /// itself, raising no event, so the record goes stale, and the new master's death would leave the channel
    /// unsubscribed until the log check noticed (up to <c>Bus:LogCheckInterval</c>). The library's own view alone is
    /// not enough either: the failure event is raised on a worker thread, and by then the library has usually cleared
    /// its record for the failed connection. The reverse staleness (the old master dies after the move) costs one
    /// needless recovery, never a missed event.
    /// </remarks>
    private bool MayBeOn(EndPoint failed)
    {
        for (var i = 0; i < _channels.Length; i++)
        {
            if (_endPoints[i] is not { } recorded || recorded.Equals(failed)
                || _subscriber.SubscribedEndpoint(_channels[i]) is not { } now || now.Equals(failed)
                || !_subscriber.IsConnected(_channels[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Interrupts the subscription when a channel is not subscribed on a connected endpoint now.</summary>
    public void InterruptIfDisconnected()
    {
        lock (_state)
        {
            if (_interrupted || _disposed || TryRecordEndPoints())
            {
                return;
            }

            InterruptLocked();
        }

        _ = ResubscribeAsync();
    }

    private void InterruptLocked()
    {
        _interrupted = true;
        _sink.OnInterrupted();
    }

    /// <summary>Records the endpoint of every channel; false when one is not subscribed on a connected endpoint.</summary>
    private bool TryRecordEndPoints()
    {
        for (var i = 0; i < _channels.Length; i++)
        {
            var endPoint = _subscriber.SubscribedEndpoint(_channels[i]);
            if (endPoint is null || !_subscriber.IsConnected(_channels[i]))
            {
                _endPoints[i] = null;
                return false;
            }

            _endPoints[i] = endPoint;
        }

        return true;
    }

    private async Task ResubscribeAsync()
    {
        var delay = FirstResubscribeDelay;
        var attempts = 0;
        while (true)
        {
            await Task.Delay(delay * (0.5 + Random.Shared.NextDouble()));
            delay = delay * 2 > MaxResubscribeDelay ? MaxResubscribeDelay : delay * 2;
            attempts++;
            lock (_state)
            {
                if (_disposed)
                {
                    return;
                }
            }

            try
            {
                foreach (var channel in _channels)
                {
                    await _subscriber.SubscribeAsync(channel, Confirmation);
                    await _subscriber.UnsubscribeAsync(channel, Confirmation);
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The node that serves the channel is not reachable yet (a failover is under way, Redis restarts).
                if (attempts == 1)
                {
                    RedisBusLog.ResubscribeFailed(_backend.Logger, _bomId, ex);
                }

                continue;
            }
            catch (ObjectDisposedException)
            {
                return; // the node is shutting down
            }

            lock (_state)
            {
                if (_disposed)
                {
                    return;
                }

                if (!TryRecordEndPoints())
                {
                    continue; // its connection failed again meanwhile
                }

                _interrupted = false;
                RedisBusLog.Resubscribed(_backend.Logger, _bomId, _endPoints[0]?.ToString() ?? "?", attempts);
                _sink.OnRestored();
                return;
            }
        }
    }

    /// <summary>Unsubscribes this subscription's queues only: another subscription to the same channel on the multiplexer stays.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_state)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _backend.Remove(this);
        foreach (var queue in _queues)
        {
            await queue.UnsubscribeAsync();
        }
    }
}
