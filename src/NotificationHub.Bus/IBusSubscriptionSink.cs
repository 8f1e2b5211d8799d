namespace NotificationHub.Bus;

/// <summary>
/// What a backend reports for one subscription (<see cref="IEventBusBackend.SubscribeAsync"/>): its channel messages,
/// and when live delivery of <em>this</em> subscription stops and works again. The bus implements it once per BOM.
/// </summary>
/// <remarks>
/// Calls for one subscription never overlap: <see cref="OnMessage"/> runs in publish order, one at a time, and
/// <see cref="OnInterrupted"/> always comes before the <see cref="OnRestored"/> that ends it. The methods must not block.
/// </remarks>
public interface IBusSubscriptionSink
{
    /// <summary>A raw channel message: a contract envelope, or on Redis whatever a legacy worker PUBLISHes.</summary>
    void OnMessage(ReadOnlyMemory<byte> message);

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
