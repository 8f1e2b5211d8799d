using System.Diagnostics.CodeAnalysis;

namespace NotificationHub.Bus;

/// <summary>
/// One subscriber's stream of one BOM: the initial events (replay or snapshot) followed by live events, with
/// duplicates at the seam removed. It ends after a terminal event. Not thread-safe: one reader.
/// Dispose it to leave the BOM (frees the node's backend subscription when it was the last watcher).
/// </summary>
public sealed class EnrichmentStream : IBusEventStream
{
    private readonly EnrichmentEventBus _bus;
    private readonly TopicCursor _subscription;
    // The replay or snapshot; released once read, as a stream then lives for hours holding nothing but its cursor.
    private IReadOnlyList<BusEvent> _initial;
    private int _initialIndex;
    private EventLogId? _lastLogId;
    private bool _ended;
    private int _disposed;

    internal EnrichmentStream(EnrichmentEventBus bus, TopicCursor subscription, bool recovered, IReadOnlyList<BusEvent> initial)
    {
        _bus = bus;
        _subscription = subscription;
        Recovered = recovered;
        _initial = initial;
    }

    /// <summary>The BOM.</summary>
    public string BomId => _subscription.Topic.BomId;

    /// <summary>False when a resume id was asked for but the log no longer held it (the snapshot was sent instead).</summary>
    public bool Recovered { get; }

    /// <summary>True once the terminal event was read: nothing follows.</summary>
    public bool Ended => _ended;

    /// <inheritdoc />
    public IReadOnlyList<string> OpenBomIds => _ended ? [] : [BomId];

    /// <summary>
    /// Cancelled when the subscriber is cut off as a slow consumer. Transports pass it to their writes (linked with
    /// their own tokens): a write blocked on a client that stopped reading is abandoned at once.
    /// </summary>
    public CancellationToken CutOffToken => _subscription.CutOffToken;

    /// <summary>Takes the next event if one is ready.</summary>
    /// <exception cref="SlowConsumerException">The subscriber was cut off.</exception>
    public bool TryRead([NotNullWhen(true)] out BusEvent? busEvent)
    {
        busEvent = null;
        if (_ended)
        {
            return false;
        }

        if (_initialIndex < _initial.Count)
        {
            busEvent = _initial[_initialIndex++];
            if (_initialIndex == _initial.Count)
            {
                _initial = [];
                _initialIndex = 0;
            }

            return Accept(busEvent);
        }

        if (_subscription.IsCutOff)
        {
            // What it has not read is not delivered: the client resumes from its last id and gets it from the log.
            throw new SlowConsumerException();
        }

        while (_subscription.TryTake(out var live))
        {
            if (live.HasLogId && _lastLogId is { } last && live.LogId <= last)
            {
                continue; // already delivered from the log or the snapshot
            }

            busEvent = live;
            _bus.RecordDelivery(live);
            return Accept(live);
        }

        if (_subscription.IsCutOff)
        {
            throw new SlowConsumerException(); // cut off while this read was taking events
        }

        return false;
    }

    /// <summary>
    /// Waits until <see cref="TryRead"/> may return an event; false when the stream has ended. A stream opened with a
    /// shared <see cref="StreamWaiter"/> also returns for the other streams of that waiter.
    /// </summary>
    /// <exception cref="SlowConsumerException">The subscriber was cut off (a pending wait ends so, or returns true and
    /// the next <see cref="TryRead"/> throws it).</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (_ended)
        {
            return ValueTask.FromResult(false);
        }

        return _initialIndex < _initial.Count ? ValueTask.FromResult(true) : _subscription.WaitToReadAsync(cancellationToken);
    }

    /// <summary>
    /// Makes a pending (or the next) <see cref="WaitToReadAsync"/> return true although no event may be ready; safe
    /// from any thread. A transport that waits without a cancellation token (no allocation per wait) calls it from
    /// its timers and cancellation callbacks, then looks at why it woke.
    /// </summary>
    public void Wake() => _subscription.Waiter.Wake();

    private bool Accept(BusEvent busEvent)
    {
        if (busEvent.HasLogId)
        {
            _lastLogId = busEvent.LogId;
        }

        _ended = busEvent.IsTerminal;
        return true;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() =>
        Interlocked.Exchange(ref _disposed, 1) == 0 ? _bus.ReleaseAsync(_subscription) : ValueTask.CompletedTask;
}
