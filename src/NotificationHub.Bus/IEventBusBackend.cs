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
    /// <returns>
    /// The event's id (for a repeat of an idempotency key, the first publish's): the caller has the template and
    /// splices it in itself (<see cref="EnvelopeTemplate.WithEventId"/>) only when it needs the envelope.
    /// </returns>
    /// <exception cref="BusUnavailableException">The backend cannot be reached.</exception>
    ValueTask<string> AppendAsync(PendingEvent pending, CancellationToken cancellationToken);

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
    /// Subscribes to the BOM's live channel; completes once the subscription is confirmed (so a log read after it
    /// cannot miss an event that is not also delivered live). <paramref name="sink"/> receives each raw channel
    /// message in publish order, and this subscription's interruptions and restorations: a backend interrupts only
    /// the subscriptions a fault actually affects, and restores each once its own channel is confirmed subscribed
    /// again. The returned handle unsubscribes this subscription only.
    /// </summary>
    ValueTask<IAsyncDisposable> SubscribeAsync(string bomId, IBusSubscriptionSink sink, CancellationToken cancellationToken);
}
