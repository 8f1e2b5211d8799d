using System.Threading.Channels;

namespace NotificationHub.Bus;

/// <summary>
/// One local watcher of one BOM: a bounded queue the topic writes into without blocking. When the queue is full
/// the watcher is cut off (<see cref="SlowConsumerException"/>) so it can neither slow the others nor grow memory.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token source has no timer; transports may still hold its token after the subscription is released.")]
internal sealed class LocalSubscription
{
    /// <summary>Queued by <see cref="Wake"/>: not an event; the reader skips it.</summary>
    private static readonly BusEvent WakeUpMarker = new("", "", "", "", ReadOnlyMemory<byte>.Empty);

    private readonly Channel<BusEvent> _queue;

    // 1 while a wake-up marker is queued: at most one at a time.
    private int _wakeQueued;

    // Events queued (the marker aside): the capacity applies to them exactly.
    private int _queued;

    // Never disposed (see the suppression): CancelAsync may still be running callbacks after the release.
    private readonly CancellationTokenSource _cutOff = new();

    public LocalSubscription(BomTopic topic, int capacity)
    {
        Topic = topic;
        Capacity = capacity;
        // One slot more than the capacity, so that a queued wake-up marker never counts against a subscriber's events.
        _queue = Channel.CreateBounded<BusEvent>(new BoundedChannelOptions(capacity + 1)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public BomTopic Topic { get; }

    public int Capacity { get; }

    public ChannelReader<BusEvent> Reader => _queue.Reader;

    /// <summary>Events queued now (for the queue-depth gauge).</summary>
    public int Count => Volatile.Read(ref _queued);

    /// <summary>True once the subscriber was cut off: what is still queued is discarded, not delivered.</summary>
    public bool IsCutOff => _cutOff.IsCancellationRequested;

    /// <summary>
    /// Cancelled when the subscriber is cut off. A transport links it into its writes, so a write blocked on a
    /// client that stopped reading is abandoned instead of holding the connection (and its queue) forever.
    /// </summary>
    public CancellationToken CutOffToken => _cutOff.Token;

    /// <summary>
    /// Queues an event. Returns false only on the write that overflowed the queue, which cuts the subscriber off;
    /// later writes to a closed queue are ignored.
    /// </summary>
    public bool TryDeliver(BusEvent busEvent)
    {
        if (Interlocked.Increment(ref _queued) <= Capacity && _queue.Writer.TryWrite(busEvent))
        {
            return true;
        }

        Interlocked.Decrement(ref _queued);
        return !CutOff();
    }

    /// <summary>Cuts the subscriber off; true when this call did it (false when it was already closed).</summary>
    public bool CutOff()
    {
        if (!_queue.Writer.TryComplete(new SlowConsumerException()))
        {
            return false;
        }

        // Callbacks (the transport's blocked write) run on the thread pool, never on the dispatching thread.
        _ = _cutOff.CancelAsync();
        return true;
    }

    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Takes the next queued event, skipping a wake-up marker.</summary>
    public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BusEvent? busEvent)
    {
        while (_queue.Reader.TryRead(out busEvent))
        {
            if (!ReferenceEquals(busEvent, WakeUpMarker))
            {
                Interlocked.Decrement(ref _queued);
                return true;
            }

            Volatile.Write(ref _wakeQueued, 0);
        }

        return false;
    }

    /// <summary>Makes a pending or the next wait return, without an event (see <see cref="EnrichmentStream.Wake"/>).</summary>
    public void Wake()
    {
        if (Interlocked.CompareExchange(ref _wakeQueued, 1, 0) == 0 && !_queue.Writer.TryWrite(WakeUpMarker))
        {
            // Full (the reader has events to take: it is awake anyway) or closed (it ends anyway).
            Volatile.Write(ref _wakeQueued, 0);
        }
    }
}
