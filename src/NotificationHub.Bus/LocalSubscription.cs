using System.Threading.Tasks.Sources;

namespace NotificationHub.Bus;

/// <summary>
/// One local watcher of one BOM: a bounded queue the topic writes into without blocking. When the queue is full
/// the watcher is cut off (<see cref="SlowConsumerException"/>) so it can neither slow the others nor grow memory.
/// </summary>
/// <remarks>
/// A node holds one of these per stream, mostly idle, by the ten thousand: it is a ring buffer that grows on demand
/// up to <see cref="Capacity"/>, a lock and one reusable waiter (this object is the wait's
/// <see cref="IValueTaskSource{TResult}"/>), about 250 bytes when idle. A bounded <c>Channel</c> did the same
/// with about 830 (the channel, its reader and writer, four reusable async operations, a deque and a completion
/// task). One reader (the stream), any number of writers (the topic's dispatch, a wake-up from a timer or callback).
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "The token source has no timer; transports may still hold its token after the subscription is released.")]
internal sealed class LocalSubscription : IValueTaskSource<bool>
{
    private readonly Lock _lock = new();

    // Never disposed (see the suppression): CancelAsync may still be running callbacks after the release.
    private readonly CancellationTokenSource _cutOff = new();

    // Guarded by _lock: the queued events (_count from _head, wrapping), and what a wait returns for.
    private BusEvent?[] _ring = [];
    private int _head;
    private int _count;
    private bool _wakePending;
    private bool _completed;
    private bool _waiting;
    private bool _isCutOff; // also read without the lock (IsCutOff)

    // The single reader's pending wait; completed (outside the lock) by whoever gives it a reason to return.
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _waitCancellation;

    public LocalSubscription(BomTopic topic, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Topic = topic;
        Capacity = capacity;
    }

    public BomTopic Topic { get; }

    public int Capacity { get; }

    /// <summary>Events queued now (for the queue-depth gauge).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>True once the subscriber was cut off: what is still queued is discarded, not delivered.</summary>
    public bool IsCutOff => Volatile.Read(ref _isCutOff);

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
        bool wakeReader;
        var overflowed = false;
        lock (_lock)
        {
            if (_completed)
            {
                return true; // closed (left, or cut off already): nothing to deliver to
            }

            if (_count == Capacity)
            {
                overflowed = true;
                wakeReader = CloseLocked();
            }
            else
            {
                if (_count == _ring.Length)
                {
                    Grow();
                }

                _ring[(_head + _count) % _ring.Length] = busEvent;
                Volatile.Write(ref _count, _count + 1);
                wakeReader = TakeWaiterLocked();
            }
        }

        if (overflowed)
        {
            FinishCutOff(wakeReader);
            return false;
        }

        if (wakeReader)
        {
            _waiter.SetResult(true);
        }

        return true;
    }

    /// <summary>Cuts the subscriber off; true when this call did it (false when it was already closed).</summary>
    public bool CutOff()
    {
        bool wakeReader;
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }

            wakeReader = CloseLocked();
        }

        FinishCutOff(wakeReader);
        return true;
    }

    /// <summary>Closes the queue: a wait returns false once the queued events are taken.</summary>
    public void Complete()
    {
        bool wakeReader;
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            wakeReader = TakeWaiterLocked();
        }

        if (wakeReader)
        {
            _waiter.SetResult(false);
        }
    }

    /// <summary>Takes the next queued event.</summary>
    public bool TryTake([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BusEvent? busEvent)
    {
        lock (_lock)
        {
            if (_count == 0 || IsCutOff)
            {
                busEvent = null;
                return false;
            }

            busEvent = _ring[_head]!;
            _ring[_head] = null; // the event must not outlive its delivery here
            _head = (_head + 1) % _ring.Length;
            Volatile.Write(ref _count, _count - 1);
            return true;
        }
    }

    /// <summary>
    /// Waits until an event is queued, a wake-up came (<see cref="Wake"/>), or the queue was closed: true in the first
    /// two cases, false when closed and empty. One wait at a time (the single reader).
    /// </summary>
    /// <exception cref="SlowConsumerException">The subscriber was cut off.</exception>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (IsCutOff)
            {
                return ValueTask.FromException<bool>(new SlowConsumerException());
            }

            if (_count > 0 || _wakePending)
            {
                _wakePending = false;
                return ValueTask.FromResult(true);
            }

            if (_completed)
            {
                return ValueTask.FromResult(false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            _waiter.Reset();
            _waiting = true;
            if (cancellationToken.CanBeCanceled)
            {
                // Runs inline if cancelled meanwhile: OnWaitCancelled takes the lock, which this thread holds (reentrant).
                _waitCancellation = cancellationToken.UnsafeRegister(static (state, token) => ((LocalSubscription)state!).OnWaitCancelled(token), this);
            }

            return new ValueTask<bool>(this, _waiter.Version);
        }
    }

    /// <summary>Makes a pending or the next wait return true, without an event (see <see cref="EnrichmentStream.Wake"/>).</summary>
    public void Wake()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return; // the reader ends anyway
            }

            if (!TakeWaiterLocked())
            {
                _wakePending = true;
                return;
            }
        }

        _waiter.SetResult(true);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    private void OnWaitCancelled(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                return; // completed for another reason first
            }

            _waiting = false;
            _waitCancellation = default; // being run: nothing to unregister
        }

        _waiter.SetException(new OperationCanceledException(token));
    }

    // Under the lock: true when a wait is pending, which the caller then completes outside the lock.
    private bool TakeWaiterLocked()
    {
        if (!_waiting)
        {
            return false;
        }

        _waiting = false;
        _waitCancellation.Unregister(); // never waits for a running callback (it would find _waiting false)
        _waitCancellation = default;
        return true;
    }

    // Under the lock: closes the queue as cut off, drops what is queued; true when a wait is to be woken.
    private bool CloseLocked()
    {
        _completed = true;
        Volatile.Write(ref _isCutOff, true);
        Array.Clear(_ring);
        Volatile.Write(ref _count, 0);
        return TakeWaiterLocked();
    }

    // Outside the lock: the pending wait throws, and the token's callbacks (the transport's blocked write) run on the
    // thread pool, never on the dispatching thread.
    private void FinishCutOff(bool wakeReader)
    {
        if (wakeReader)
        {
            _waiter.SetException(new SlowConsumerException());
        }

        _ = _cutOff.CancelAsync();
    }

    private void Grow()
    {
        // Doubling from 4, never beyond the capacity: an idle stream holds a 4-slot array, a busy one what it needed.
        var grown = new BusEvent?[Math.Min(Capacity, Math.Max(4, _ring.Length * 2))];
        for (var i = 0; i < _count; i++)
        {
            grown[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = grown;
        _head = 0;
    }
}
