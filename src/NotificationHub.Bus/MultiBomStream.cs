using System.Diagnostics.CodeAnalysis;

namespace NotificationHub.Bus;

/// <summary>
/// Several BOMs' <see cref="EnrichmentStream"/>s read as one, for one client (the multi-BOM SSE stream): events of
/// every BOM, taken in turn from those that have one ready, each BOM's exactly as its own stream gives them. It ends
/// when every BOM has ended; a slow-consumer cut-off of any BOM cuts off the whole stream. Not thread-safe: one
/// reader (except <see cref="Wake"/>). Owns its streams: disposing it leaves every BOM.
/// </summary>
/// <remarks>
/// Waiting on any of N streams costs nothing per stream: they were all opened with one <see cref="StreamWaiter"/>,
/// which the bus wakes for an event, a cut-off or the end of any of them, so <see cref="WaitToReadAsync"/> is one wait.
/// </remarks>
public sealed class MultiBomStream : IBusEventStream
{
    private readonly EnrichmentStream[] _streams;
    private readonly StreamWaiter _waiter;
    private readonly CancellationTokenSource _cutOff;
    private int _next; // where the next read starts, so that a busy BOM cannot starve the others
    private int _disposed;

    /// <summary>Reads <paramref name="streams"/> (at least one, each of another BOM) as one; takes ownership of them.</summary>
    /// <param name="streams">The BOMs' streams.</param>
    /// <param name="waiter">The waiter every one of them was opened with (<see cref="EnrichmentEventBus.OpenStreamAsync(string, string, string?, StreamWaiter, CancellationToken)"/>).</param>
    public MultiBomStream(IReadOnlyList<EnrichmentStream> streams, StreamWaiter waiter)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(waiter);
        ArgumentOutOfRangeException.ThrowIfZero(streams.Count);
        _streams = [.. streams];
        _waiter = waiter;
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
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        Ended ? ValueTask.FromResult(false) : _waiter.WaitAsync(cancellationToken);

    /// <inheritdoc />
    public void Wake() => _waiter.Wake();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var stream in _streams)
        {
            await stream.DisposeAsync();
        }

        _cutOff.Dispose();
    }
}
