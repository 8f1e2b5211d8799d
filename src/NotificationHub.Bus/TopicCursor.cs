namespace NotificationHub.Bus;

/// <summary>
/// One local watcher of one BOM: the sequence it reads next in its topic's <see cref="TopicRing"/>, and the
/// <see cref="StreamWaiter"/> the topic wakes. A watcher more than the ring's capacity behind is cut off
/// (<see cref="SlowConsumerException"/>) so it can neither slow the others nor hold memory.
/// </summary>
/// <remarks>
/// A node holds one of these per stream, mostly idle, by the ten thousand: an integer and a state, a token source and
/// the waiter; no array (the events are the topic's, written once for all its watchers). One reader (the stream),
/// any number of wakers (the topic's fan-out, a timer or callback through the waiter).
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token source has no timer; transports may still hold its token after the subscription is released.")]
internal sealed class TopicCursor
{
    private const int Open = 0, Completed = 1, CutOffState = 2;

    // Never disposed (see the suppression): CancelAsync may still be running callbacks after the release.
    private readonly CancellationTokenSource _cutOff = new();

    private long _next; // written by the reader only; read by the fan-out for the lag
    private int _state;

    public TopicCursor(BomTopic topic, StreamWaiter waiter)
    {
        Topic = topic;
        Waiter = waiter;
        _next = topic.Ring.Head; // earlier events come from the log (the stream reads it after joining)
    }

    public BomTopic Topic { get; }

    public StreamWaiter Waiter { get; }

    /// <summary>The sequence this watcher reads next.</summary>
    public long Next => Volatile.Read(ref _next);

    /// <summary>Events written and not yet read (for the queue-depth gauge); 0 once closed.</summary>
    public long Lag => Volatile.Read(ref _state) == Open ? Math.Max(0, Topic.Ring.Head - Next) : 0;

    /// <summary>True when the ring holds an event this watcher has not read.</summary>
    public bool HasEvents => Topic.Ring.Head > Volatile.Read(ref _next);

    /// <summary>True once the watcher was cut off: what it has not read is not delivered.</summary>
    public bool IsCutOff => Volatile.Read(ref _state) == CutOffState;

    /// <summary>
    /// Cancelled when the watcher is cut off. A transport links it into its writes, so a write blocked on a client
    /// that stopped reading is abandoned instead of holding the connection forever.
    /// </summary>
    public CancellationToken CutOffToken => _cutOff.Token;

    /// <summary>Takes the next event. A watcher found behind is cut off (and false returned).</summary>
    public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BusEvent? busEvent)
    {
        busEvent = null;
        if (IsCutOff)
        {
            return false;
        }

        switch (Topic.Ring.TryRead(_next, out busEvent))
        {
            case RingRead.Event when busEvent is not null:
                Volatile.Write(ref _next, _next + 1);
                return true;
            case RingRead.Behind:
                Topic.CutOffSlowConsumer(this); // seen here before the fan-out that overtook it got to it
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// Waits until an event is written, a wake-up came, or the watcher was closed: true in the first two cases (and when
    /// the waiter is shared, in the third), false when left. One wait at a time (the single reader).
    /// </summary>
    /// <exception cref="SlowConsumerException">The watcher was cut off.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => Volatile.Read(ref _state) switch
    {
        CutOffState => ValueTask.FromException<bool>(new SlowConsumerException()),
        Completed when !HasEvents => ValueTask.FromResult(false),
        _ => Waiter.Wait(this, cancellationToken),
    };

    /// <summary>Wakes the reader for a new event (called by the fan-out).</summary>
    public void Wake() => Waiter.WakeForEvent();

    /// <summary>Cuts the watcher off; true when this call did it (false when it was already closed).</summary>
    public bool CutOff()
    {
        if (Interlocked.CompareExchange(ref _state, CutOffState, Open) != Open)
        {
            return false;
        }

        // The token's callbacks (the transport's blocked write) run on the thread pool, never on the fan-out's thread.
        Waiter.End(new SlowConsumerException());
        _ = _cutOff.CancelAsync();
        return true;
    }

    /// <summary>The watcher left: a wait returns false once the events already written are read.</summary>
    public void Complete()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Open) == Open)
        {
            Waiter.End(null);
        }
    }
}
