namespace NotificationHub.Bus;

/// <summary>
/// Storage and transport under the event bus. Implementations: in-memory (one process, the embedded default)
/// and Redis (several nodes). Everything above this interface (validation, fan-out, replay/live splicing) is
/// shared, so both backends behave the same and one conformance suite tests both.
/// </summary>
public interface IEventBusBackend
{
    /// <summary>
    /// Atomically: claims the BOM for the event's tenant if unowned, refuses it if owned by another tenant
    /// (<see cref="BomOwnershipException"/>), assigns the next log id, appends to the capped log, stores the
    /// event as the BOM's latest, and publishes it to every node's subscribers of the BOM.
    /// </summary>
    /// <exception cref="BusUnavailableException">The backend cannot be reached.</exception>
    ValueTask<BusEvent> AppendAsync(PendingEvent pending, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="tenantId"/> the owner of an unowned BOM; true when it is (now or already) the owner.</summary>
    ValueTask<bool> ClaimAsync(string bomId, string tenantId, CancellationToken cancellationToken);

    /// <summary>The BOM's owner and latest event, or null when the BOM is unknown.</summary>
    ValueTask<BomInfo?> GetBomAsync(string bomId, CancellationToken cancellationToken);

    /// <summary>
    /// Events logged after <paramref name="afterEventId"/>, if the log still holds that id. <c>0-0</c>
    /// (<see cref="EventLogId.Start"/>) reads the whole log.
    /// </summary>
    ValueTask<ReplayResult> ReadAfterAsync(string bomId, string afterEventId, CancellationToken cancellationToken);

    /// <summary>
    /// Subscribes to the BOM's live channel. <paramref name="onMessage"/> is called, in publish order and never
    /// concurrently for one subscription, with each raw channel message (contract envelopes, and on Redis
    /// whatever a legacy worker PUBLISHes). The returned handle unsubscribes this subscription only.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string bomId, Action<ReadOnlyMemory<byte>> onMessage, CancellationToken cancellationToken);

    /// <summary>
    /// Raised when live delivery to this node's subscriptions was interrupted (Redis: the subscription connection
    /// dropped): channel messages published from now on may be missed until <see cref="LiveDeliveryRestored"/>.
    /// </summary>
    event EventHandler? LiveDeliveryInterrupted;

    /// <summary>
    /// Raised once live delivery works again (Redis: reconnected, and every channel resubscribed). The bus then
    /// re-reads the log of each watched BOM after the last event it delivered.
    /// </summary>
    event EventHandler? LiveDeliveryRestored;
}
