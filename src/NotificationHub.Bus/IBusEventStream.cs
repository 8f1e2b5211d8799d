using System.Diagnostics.CodeAnalysis;

namespace NotificationHub.Bus;

/// <summary>
/// What <see cref="StreamPump"/> reads: one BOM's <see cref="EnrichmentStream"/>, or a <see cref="MultiBomStream"/>
/// over several. One reader; only <see cref="Wake"/> may be called from any thread. Disposing it closes it (its
/// subscriptions released).
/// </summary>
public interface IBusEventStream : IAsyncDisposable
{
    /// <summary>True once every BOM's terminal event was read: nothing follows.</summary>
    bool Ended { get; }

    /// <summary>
    /// The BOMs whose terminal event was not read yet, in the stream's order: those that get <c>stream_end</c> when
    /// the stream ends for another reason (token expiry, shutdown, slow consumer).
    /// </summary>
    IReadOnlyList<string> OpenBomIds { get; }

    /// <summary>Cancelled when the subscriber is cut off as a slow consumer (transports link it into their writes).</summary>
    CancellationToken CutOffToken { get; }

    /// <summary>Takes the next event if one is ready.</summary>
    /// <exception cref="SlowConsumerException">The subscriber was cut off.</exception>
    bool TryRead([NotNullWhen(true)] out BusEvent? busEvent);

    /// <summary>Waits until <see cref="TryRead"/> may return an event; false when the stream has ended.</summary>
    /// <exception cref="SlowConsumerException">The subscriber was cut off.</exception>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default);

    /// <summary>Makes a pending (or the next) <see cref="WaitToReadAsync"/> return true although no event may be ready; safe from any thread.</summary>
    void Wake();
}
