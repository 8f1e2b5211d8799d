namespace NotificationHub.Bus;

/// <summary>
/// What a backend reports for one subscription (<see cref="IEventBusBackend.SubscribeAsync"/>): the events on its
/// channel, typed (a backend that receives bytes, Redis, reads them at its edge; the in-memory backend hands over the
/// very object it appended), and when live delivery of <em>this</em> subscription stops and works again. The bus
/// implements it once per BOM.
/// </summary>
/// <remarks>
/// Calls for one subscription never overlap: <see cref="OnEvent"/> runs in publish order, one at a time, and
/// <see cref="OnInterrupted"/> always comes before the <see cref="OnRestored"/> that ends it. The methods must not block.
/// </remarks>
public interface IBusSubscriptionSink
{
    /// <summary>An event published on the BOM's channel (on Redis also what a legacy worker PUBLISHes, normalized).</summary>
    /// <param name="busEvent">The event; the bus checks its tenant against the BOM's owner.</param>
    /// <param name="traceParent">The W3C <c>traceparent</c> of a traced publish (ASCII), or empty.</param>
    void OnEvent(BusEvent busEvent, ReadOnlySpan<byte> traceParent);

    /// <summary>A message on the channel that is no event of this BOM (not JSON, oversized, another BOM's): counted and logged by the bus.</summary>
    void OnDropped(string reason);

    /// <summary>
    /// Live delivery of this subscription stopped (Redis: the connection carrying its channel failed): messages
    /// published from now on may be missed until <see cref="OnRestored"/>.
    /// </summary>
    void OnInterrupted();

    /// <summary>
    /// The subscription's channel is confirmed subscribed again (Redis: on whatever node serves it now); every message
    /// published from now on is delivered. The bus then re-reads the BOM's log after the last event it delivered.
    /// </summary>
    void OnRestored();
}
