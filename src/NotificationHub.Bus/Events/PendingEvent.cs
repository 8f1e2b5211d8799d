namespace NotificationHub.Bus;

/// <summary>
/// An event on its way into a backend: validated and serialized, waiting for its id.
/// <see cref="JsonTemplate"/> is the envelope JSON with an empty <c>event_id</c> in first position; the backend
/// splices the id in (see <see cref="EnvelopeTemplate"/>) atomically with appending it to the log.
/// </summary>
/// <param name="BomId">The BOM.</param>
/// <param name="TenantId">The publishing tenant; the backend refuses it when another tenant owns the BOM.</param>
/// <param name="EventType">Contract event type.</param>
/// <param name="JsonTemplate">Envelope JSON starting with <see cref="EnvelopeTemplate.Prefix"/>.</param>
public sealed record PendingEvent(string BomId, string TenantId, string EventType, ReadOnlyMemory<byte> JsonTemplate)
{
    /// <summary>
    /// The publisher's idempotency key, or null. When the BOM already had an event appended with this key within
    /// <see cref="IdempotencyWindow"/>, the backend appends nothing and returns that event's id (checked and recorded
    /// atomically with the append).
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>How long the backend remembers <see cref="IdempotencyKey"/> (<see cref="PublishOptions.IdempotencyWindow"/>).</summary>
    public TimeSpan IdempotencyWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The publish span's W3C <c>traceparent</c>, or null when the publish is not traced (<see cref="BusTracing"/>). The
    /// backend sends it beside the envelope on the live channel (<see cref="TraceContextFrame"/>), never inside it.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>True for a terminal event (the backend starts the log's retention clock).</summary>
    public bool IsTerminal => Contracts.EnrichmentEventNames.IsTerminal(EventType);
}
