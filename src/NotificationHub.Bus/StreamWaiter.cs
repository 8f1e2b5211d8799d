using System.Threading.Tasks.Sources;

namespace NotificationHub.Bus;

/// <summary>
/// The wake-up of one reader of one or more <see cref="EnrichmentStream"/>s: the bus wakes it when any of its streams
/// has something to read (an event, a cut-off, the end), and anyone may wake it (<see cref="Wake"/>). A reader of
/// several BOMs opens each stream with the same waiter (<see cref="EnrichmentEventBus.OpenStreamAsync(string, string, string?, StreamWaiter, CancellationToken)"/>),
/// reads every stream with <see cref="EnrichmentStream.TryRead"/> until none has anything, then awaits
/// <see cref="WaitAsync"/> once.
/// </summary>
/// <remarks>
/// One pending wait at a time (the single reader), and no allocation per wait: this object is the wait's
/// <see cref="IValueTaskSource{TResult}"/>. A wake-up that finds no wait pending is kept (one, however many came), so
/// the next wait returns at once: a reader never misses one between looking at its streams and waiting. A wait may
/// therefore return with nothing to read; the reader looks again.
/// </remarks>
public sealed class StreamWaiter : IValueTaskSource<bool>
{
    private readonly Lock _lock = new();

    // Shared by several streams: a cut-off or an end wakes the wait instead of ending it, as it concerns one stream only.
    private readonly bool _shared;

    // 1 when a wake-up came while no wait was pending. Set under the lock, but read without it by the bus's fan-out
    // (a reader busy writing is woken once, not once per event), and taken with a full fence (see WaitAsync).
    private int _wakePending;

    // Written under _lock; read without it by the fan-out's wake-up of a private waiter (WakeForEvent).
    private volatile bool _waiting;

    // Guarded by _lock.
    private CancellationTokenRegistration _waitCancellation;

    // The single reader's pending wait; completed (outside the lock) by whoever gives it a reason to return.
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };

    /// <summary>Creates a waiter to share between the streams of one reader.</summary>
    public StreamWaiter()
        : this(shared: true)
    {
    }

    internal StreamWaiter(bool shared) => _shared = shared;

    /// <summary>
    /// Waits until one of the streams may have something to read, or <see cref="Wake"/> was called: true then.
    /// Returns at once when a wake-up came since the previous wait returned.
    /// </summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken = default) => Wait(null, cancellationToken);

    /// <summary>Makes a pending (or the next) <see cref="WaitAsync"/> return true; safe from any thread.</summary>
    public void Wake()
    {
        if (Volatile.Read(ref _wakePending) == 1)
        {
            return; // already due (the common case under load: the reader is busy writing, not waiting)
        }

        lock (_lock)
        {
            if (!TakeWaiterLocked())
            {
                Volatile.Write(ref _wakePending, 1);
                return;
            }
        }

        _waiter.SetResult(true);
    }

    /// <summary>
    /// Wakes the reader for an event the fan-out just published. A private waiter's reader looks at its stream before
    /// it waits (<see cref="Wait"/>), so only a pending wait is woken: a reader busy writing gets nothing, as it will
    /// find the event itself. A shared waiter's reader may wait without looking (<see cref="WaitAsync"/>): it gets a
    /// <see cref="Wake"/>.
    /// </summary>
    internal void WakeForEvent()
    {
        if (_shared)
        {
            Wake();
            return;
        }

        if (!_waiting)
        {
            return; // the common case under load; the event's publish (a full fence) came before this read
        }

        lock (_lock)
        {
            if (!TakeWaiterLocked())
            {
                return; // it found the event itself, or another wake-up came first
            }
        }

        _waiter.SetResult(true);
    }

    /// <summary>
    /// A stream of this waiter ended for good: a private waiter's pending wait ends with <paramref name="error"/>
    /// (or returns false when null); a shared one's is only woken (the reader finds which stream ended).
    /// </summary>
    internal void End(Exception? error)
    {
        if (_shared)
        {
            Wake();
            return;
        }

        lock (_lock)
        {
            if (!TakeWaiterLocked())
            {
                Volatile.Write(ref _wakePending, 1); // the next wait looks at the stream first, and finds it ended
                return;
            }
        }

        if (error is null)
        {
            _waiter.SetResult(false);
        }
        else
        {
            _waiter.SetException(error);
        }
    }

    /// <summary>
    /// Waits as <see cref="WaitAsync"/>; with a <paramref name="cursor"/>, returns at once when it has events (looked at
    /// after the wait is registered, so an event published meanwhile is never missed).
    /// </summary>
    internal ValueTask<bool> Wait(TopicCursor? cursor, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Interlocked.Exchange(ref _wakePending, 0) == 1)
            {
                return ValueTask.FromResult(true);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            // Waiting first, then a full fence, then the head: the fan-out publishes the head (a full fence), then reads
            // _waiting, so one of the two always sees the other's write and no event is left without a wake-up.
            _waiter.Reset();
            _waiting = true;
            Interlocked.MemoryBarrier();
            if (cursor is { HasEvents: true })
            {
                _waiting = false;
                return ValueTask.FromResult(true);
            }

            if (cancellationToken.CanBeCanceled)
            {
                // Runs inline if cancelled meanwhile: OnWaitCancelled takes the lock, which this thread holds (reentrant).
                _waitCancellation = cancellationToken.UnsafeRegister(static (state, token) => ((StreamWaiter)state!).OnWaitCancelled(token), this);
            }

            return new ValueTask<bool>(this, _waiter.Version);
        }
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
}
