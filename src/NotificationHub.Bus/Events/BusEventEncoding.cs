namespace NotificationHub.Bus;

/// <summary>
/// One wire format of bus events (an SSE frame, a SignalR message, ...): transports declare one as a static field and
/// get each event encoded once, stored on the event itself, see <see cref="BusEvent.GetEncoding{T}"/>.
/// </summary>
/// <remarks>
/// Stored on the event rather than in a <c>ConditionalWeakTable</c> keyed by it: a table costs a GC handle per entry
/// and containers that are only freed through finalization, which under a steady publish load showed up as live heap
/// growing between full collections (docs/benchmarks.md, "Hold"). A slot on the event goes when the event goes.
/// </remarks>
/// <typeparam name="T">The encoded form.</typeparam>
public sealed class BusEventEncoding<T>
    where T : class
{
    private readonly Func<BusEvent, T> _encode;

    /// <summary>Declares a format; at most <see cref="BusEvent.MaxEncodings"/> per process (a transport declares a few).</summary>
    /// <param name="encode">Encodes an event; called once per event (concurrent first calls may both run; one result is kept).</param>
    public BusEventEncoding(Func<BusEvent, T> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        _encode = encode;
        Slot = BusEvent.ReserveEncodingSlot();
    }

    internal int Slot { get; }

    internal T Encode(BusEvent busEvent) => _encode(busEvent);
}
