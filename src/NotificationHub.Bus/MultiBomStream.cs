using System.Diagnostics.CodeAnalysis;

namespace NotificationHub.Bus;

/// <summary>
/// Several BOMs' <see cref="EnrichmentStream"/>s read as one, for one client (the multi-BOM SSE stream): events of
/// every BOM, taken in turn from those that have one ready, each BOM's exactly as its own stream gives them. It ends
/// when every BOM has ended; a slow-consumer cut-off of any BOM cuts off the whole stream. Not thread-safe: one
/// reader (except <see cref="Wake"/>). Owns its streams: disposing it leaves every BOM.
/// </summary>
/// <remarks>
/// Waiting on any of N streams: each BOM's stream keeps at most one pending <see cref="EnrichmentStream.WaitToReadAsync"/>
/// (a "watch"), whose completion sets one shared signal that <see cref="WaitToReadAsync"/> waits on. A bus that lets
/// one reader wait on several topics at once would replace <see cref="Arm"/>, <see cref="WatchAsync"/> and the signal,
/// and nothing else.
/// </remarks>
public sealed class MultiBomStream : IBusEventStream, IAsyncDisposable
{
    private readonly EnrichmentStream[] _streams;
    private readonly int[] _watching; // 1 while a BOM's stream has a pending watch
    private readonly CancellationTokenSource _cutOff;
    private readonly Lock _lock = new();
    private bool _signalled; // guarded by _lock, as is _waiter
    private TaskCompletionSource<bool>? _waiter;
    private int _next; // where the next read starts, so that a busy BOM cannot starve the others
    private int _disposed;

    /// <summary>Reads <paramref name="streams"/> (at least one, each of another BOM) as one; takes ownership of them.</summary>
    public MultiBomStream(IReadOnlyList<EnrichmentStream> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentOutOfRangeException.ThrowIfZero(streams.Count);
        _streams = [.. streams];
        _watching = new int[_streams.Length];
        _cutOff = CancellationTokenSource.CreateLinkedTokenSource([.. _streams.Select(s => s.CutOffToken)]);
    }

    /// <summary>The BOMs' streams, in the order given.</summary>
    public IReadOnlyList<EnrichmentStream> Streams => _streams;

    /// <inheritdoc />
    public bool Ended
    {
        get
        {
            foreach (var stream in _streams)
            {
                if (!stream.Ended)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<string> OpenBomIds => [.. _streams.Where(s => !s.Ended).Select(s => s.BomId)];

    /// <inheritdoc />
    public CancellationToken CutOffToken => _cutOff.Token;

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out BusEvent? busEvent)
    {
        for (var k = 0; k < _streams.Length; k++)
        {
            var i = (_next + k) % _streams.Length;
            if (_streams[i].TryRead(out busEvent)) // false at once for an ended BOM
            {
                _next = (i + 1) % _streams.Length;
                return true;
            }
        }

        busEvent = null;
        return false;
    }

    /// <inheritdoc />
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        if (Ended)
        {
            return ValueTask.FromResult(false);
        }

        for (var i = 0; i < _streams.Length; i++)
        {
            if (!_streams[i].Ended)
            {
                Arm(i);
            }
        }

        Task<bool> wait;
        lock (_lock)
        {
            if (_signalled)
            {
                _signalled = false;
                return ValueTask.FromResult(true);
            }

            _waiter ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _waiter.Task;
        }

        return new ValueTask<bool>(wait.WaitAsync(cancellationToken));
    }

    /// <inheritdoc />
    public void Wake()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_lock)
        {
            waiter = _waiter;
            _waiter = null;
            _signalled = waiter is null;
        }

        waiter?.TrySetResult(true);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var stream in _streams)
        {
            await stream.DisposeAsync(); // completes a pending watch
        }

        _cutOff.Dispose();
    }

    // Starts a watch on BOM i unless one is pending; the stream's own state (an event, a cut-off) is what the next
    // TryRead finds, so a watch only has to wake the reader.
    private void Arm(int i)
    {
        if (Interlocked.Exchange(ref _watching[i], 1) == 1)
        {
            return;
        }

        ValueTask<bool> wait;
        try
        {
            wait = _streams[i].WaitToReadAsync(CancellationToken.None);
        }
        catch (SlowConsumerException)
        {
            Volatile.Write(ref _watching[i], 0);
            Wake();
            return;
        }

        _ = WatchAsync(i, wait);
    }

    private async Task WatchAsync(int i, ValueTask<bool> wait)
    {
        try
        {
            await wait;
        }
        catch (SlowConsumerException)
        {
            // The next TryRead of this BOM throws it again, which ends the whole stream.
        }

        Volatile.Write(ref _watching[i], 0);
        Wake();
    }
}
