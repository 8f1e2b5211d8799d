namespace NotificationHub.Bus;

/// <summary>
/// Everything that may interrupt a stream's wait for its next event, folded into one wake-up of the bus stream: the
/// keepalive and the token's expiry (one timer), the client leaving, the node stopping, and a slow-consumer cut-off.
/// The pump then waits without a cancellation token and allocates nothing per wait.
/// </summary>
/// <remarks>
/// An idle stream is what a node holds by the thousand, so its per-connection state matters: at most one timer and
/// three callback registrations here, instead of a keepalive timer, an expiry token source, a linked token source
/// and a <c>Task.WhenAny</c> over two tasks per wait. An interruption also interrupts the sink's pending write, so a
/// write blocked on a client that does not read gives way to the stream's end.
/// </remarks>
internal sealed class StreamSignals : IDisposable
{
    // A timer takes at most ~49 days; a later expiry is re-armed when it fires.
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly IBusEventStream _stream;
    private readonly IStreamSink _sink;
    private readonly TimeProvider _time;
    private readonly TimeSpan? _keepAliveInterval;
    private readonly DateTimeOffset _expiresAt;
    private readonly ITimer? _timer;
    private readonly CancellationTokenRegistration _onStopped;
    private readonly CancellationTokenRegistration _onStopping;
    private readonly CancellationTokenRegistration _onCutOff;
    private int _keepAliveDue;
    private bool _dueIsExpiry; // what the timer was last set for (timers may fire a little early)
    private volatile bool _expired;
    private volatile bool _interrupted;

    public StreamSignals(IBusEventStream stream, IStreamSink sink, TimeProvider time, TimeSpan? keepAliveInterval,
        DateTimeOffset expiresAt, CancellationToken stopped, CancellationToken stopping)
    {
        _stream = stream;
        _sink = sink;
        _time = time;
        _keepAliveInterval = keepAliveInterval;
        _expiresAt = expiresAt;
        _onStopped = stopped.UnsafeRegister(static state => ((StreamSignals)state!).Interrupt(), this);
        _onStopping = stopping.UnsafeRegister(static state => ((StreamSignals)state!).Interrupt(), this);
        _onCutOff = stream.CutOffToken.UnsafeRegister(static state => ((StreamSignals)state!).Interrupt(), this);
        if (keepAliveInterval is not null || expiresAt != DateTimeOffset.MaxValue)
        {
            _timer = time.CreateTimer(static state => ((StreamSignals)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(NextDue(), Timeout.InfiniteTimeSpan); // started last: its callback uses every field
        }
    }

    /// <summary>True once the token has expired.</summary>
    public bool Expired => _expired;

    /// <summary>True once anything interrupted the sink (a write that then throws was interrupted, not failed).</summary>
    public bool Interrupted => _interrupted;

    /// <summary>True (once per tick) when a keepalive is due.</summary>
    public bool TakeKeepAlive() => Interlocked.Exchange(ref _keepAliveDue, 0) == 1;

    public void Dispose()
    {
        _timer?.Dispose();
        _onStopped.Dispose();
        _onStopping.Dispose();
        _onCutOff.Dispose();
    }

    private void OnTimer()
    {
        if (_dueIsExpiry || _time.GetUtcNow() >= _expiresAt)
        {
            _expired = true;
            Interrupt();
            return;
        }

        if (_keepAliveInterval is not null)
        {
            Volatile.Write(ref _keepAliveDue, 1);
            _stream.Wake();
        }

        _timer!.Change(NextDue(), Timeout.InfiniteTimeSpan); // false (ignored) once disposed
    }

    // The next keepalive, or the expiry when it comes first.
    private TimeSpan NextDue()
    {
        var untilExpiry = _expiresAt - _time.GetUtcNow();
        var next = _keepAliveInterval ?? MaxTimerDue;
        _dueIsExpiry = untilExpiry <= next;
        return untilExpiry < TimeSpan.Zero ? TimeSpan.Zero : _dueIsExpiry ? untilExpiry : next;
    }

    private void Interrupt()
    {
        _interrupted = true;
        _sink.Interrupt();
        _stream.Wake();
    }
}
