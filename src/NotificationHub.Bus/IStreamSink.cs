namespace NotificationHub.Bus;

/// <summary>
/// What a transport gives <see cref="StreamPump"/> to write one stream to one client: the pump decides what is
/// written and when the stream ends; the sink only knows its wire format. Calls never overlap, except
/// <see cref="Interrupt"/>, which may come from any thread at any time.
/// </summary>
public interface IStreamSink
{
    /// <summary>Writes one event; it may only buffer it until <see cref="FlushAsync"/>.</summary>
    /// <exception cref="OperationCanceledException">The write was interrupted (<see cref="Interrupt"/>).</exception>
    ValueTask WriteEventAsync(BusEvent busEvent);

    /// <summary>Writes a keepalive (only called when the pump was given a keepalive interval).</summary>
    void WriteKeepAlive();

    /// <summary>Sends what was written; returns early (or throws <see cref="OperationCanceledException"/>) when interrupted.</summary>
    ValueTask FlushAsync();

    /// <summary>
    /// Writes <c>stream_end</c> of one BOM of several (its terminal event was just written) while the stream goes on
    /// for the others; like <see cref="WriteEventAsync"/>, it may only buffer it until <see cref="FlushAsync"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException">The write was interrupted (<see cref="Interrupt"/>).</exception>
    ValueTask WriteBomEndAsync(string bomId, string reason);

    /// <summary>Writes and sends the final <c>stream_end</c>s, one per BOM; false when they were not taken (the pump then aborts the connection).</summary>
    /// <param name="bomIds">The BOMs the stream ends for: the one whose terminal event ended it, or every BOM not yet ended.</param>
    /// <param name="reason">A <see cref="Contracts.StreamEndReasons"/> value.</param>
    /// <param name="cancellationToken">Cancelled when the client left or the end write timed out.</param>
    ValueTask<bool> WriteEndAsync(IReadOnlyList<string> bomIds, string reason, CancellationToken cancellationToken);

    /// <summary>Makes a pending write or flush give way (the pump then looks at why). Safe from any thread.</summary>
    void Interrupt();

    /// <summary>Drops the client's connection: it did not take <c>stream_end</c> in time.</summary>
    void Abort();
}
