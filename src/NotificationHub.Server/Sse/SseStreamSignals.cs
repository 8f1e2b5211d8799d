using System.IO.Pipelines;
using NotificationHub.Bus;

namespace NotificationHub.Server.Sse;

/// <summary>
/// Everything that may interrupt an SSE stream's wait for its next event, folded into one wake-up of the bus stream:
/// the keepalive and the token's expiry (one timer), the client leaving, the node stopping, and a slow-consumer
/// cut-off. The pump then waits without a cancellation token and allocates nothing per wait.
/// </summary>
/// <remarks>
/// An idle stream is what a node holds by the thousand, so its per-connection state matters: one timer and three
/// callback registrations here, instead of a keepalive timer, an expiry token source, a linked token source and a
/// <c>Task.WhenAny</c> over two tasks per wait. An interruption also cancels a pending flush, so a write blocked on a
/// client that does not read gives way to the stream's end.
/// </remarks>
internal sealed class SseStreamSignals : IDisposable
{
    private readonly EnrichmentStream _stream;
    private readonly PipeWriter _writer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _keepAliveInterval;
    private readonly DateTimeOffset _expiresAt;
    private readonly ITimer _timer;
    private readonly CancellationTokenRegistration _onAborted;
    private readonly CancellationTokenRegistration _onStopping;
    private readonly CancellationTokenRegistration _onCutOff;
    private int _keepAliveDue;
    private bool _dueIsExpiry; // what the timer was last set for (timers may fire a little early)
    private volatile bool _expired;

    public SseStreamSignals(EnrichmentStream stream, PipeWriter writer, TimeProvider time, TimeSpan keepAliveInterval,
        DateTimeOffset expiresAt, CancellationToken aborted, CancellationToken stopping)
    {
        _stream = stream;
        _writer = writer;
        _time = time;
        _keepAliveInterval = keepAliveInterval;
        _expiresAt = expiresAt;
        _timer = time.CreateTimer(static state => ((SseStreamSignals)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _onAborted = aborted.UnsafeRegister(static state => ((SseStreamSignals)state!).Interrupt(), this);
        _onStopping = stopping.UnsafeRegister(static state => ((SseStreamSignals)state!).Interrupt(), this);
        _onCutOff = stream.CutOffToken.UnsafeRegister(static state => ((SseStreamSignals)state!).Interrupt(), this);
        _timer.Change(NextDue(), Timeout.InfiniteTimeSpan); // started last: its callback uses every field
    }

    /// <summary>True once the token has expired.</summary>
    public bool Expired => _expired;

    /// <summary>True (once per tick) when a keepalive is due.</summary>
    public bool TakeKeepAlive() => Interlocked.Exchange(ref _keepAliveDue, 0) == 1;

    public void Dispose()
    {
        _timer.Dispose();
        _onAborted.Dispose();
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

        Volatile.Write(ref _keepAliveDue, 1);
        _stream.Wake();
        _timer.Change(NextDue(), Timeout.InfiniteTimeSpan); // false (ignored) once disposed
    }

    // The next keepalive, or the expiry when it comes first (a timer takes at most ~49 days; keepalives are shorter).
    private TimeSpan NextDue()
    {
        var untilExpiry = _expiresAt - _time.GetUtcNow();
        _dueIsExpiry = untilExpiry <= _keepAliveInterval;
        return untilExpiry < TimeSpan.Zero ? TimeSpan.Zero : _dueIsExpiry ? untilExpiry : _keepAliveInterval;
    }

    private void Interrupt()
    {
        _writer.CancelPendingFlush();
        _stream.Wake();
    }
}
