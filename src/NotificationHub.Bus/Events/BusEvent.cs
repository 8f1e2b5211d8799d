using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// An event as the bus delivers it: routing fields plus the envelope's UTF-8 JSON, serialized once and
/// shared by every subscriber and transport.
/// </summary>
public sealed class BusEvent
{
    /// <summary>How many <see cref="BusEventEncoding{T}"/>s a process may declare.</summary>
    public const int MaxEncodings = 8;

    private static int s_encodingCount;

    // The event's encodings by BusEventEncoding slot, created on first use.
    private object?[]? _encodings;

    /// <summary>Creates an event.</summary>
    public BusEvent(string eventId, string eventType, string bomId, string tenantId, ReadOnlyMemory<byte> json)
    {
        EventId = eventId;
        EventType = eventType;
        BomId = bomId;
        TenantId = tenantId;
        Json = json;
        HasLogId = EventLogId.TryParse(eventId, out var logId);
        LogId = logId;
    }

    /// <summary>The envelope's <c>event_id</c>, the SSE <c>id:</c>.</summary>
    public string EventId { get; }

    /// <summary>The envelope's <c>event_type</c>, the SSE <c>event:</c>.</summary>
    public string EventType { get; }

    /// <summary>The BOM.</summary>
    public string BomId { get; }

    /// <summary>The owning tenant.</summary>
    public string TenantId { get; }

    /// <summary>The envelope as UTF-8 JSON: the SSE <c>data:</c> and the SignalR <c>data</c>.</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>True when <see cref="EventId"/> is a replay-log id (false for a legacy live-only event).</summary>
    public bool HasLogId { get; }

    /// <summary>The parsed log id when <see cref="HasLogId"/>.</summary>
    public EventLogId LogId { get; }

    /// <summary>True for <c>enrichment.completed</c> and <c>enrichment.failed</c>.</summary>
    public bool IsTerminal => EnrichmentEventNames.IsTerminal(EventType);

    /// <summary>
    /// This event in the wire format <paramref name="encoding"/>, encoded on first use and then shared by every
    /// subscriber and connection that writes it (the fan-out encodes each event once per format, not per client).
    /// </summary>
    public T GetEncoding<T>(BusEventEncoding<T> encoding)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(encoding);
        var slots = _encodings ?? Interlocked.CompareExchange(ref _encodings, new object?[MaxEncodings], null) ?? _encodings;
        if (slots[encoding.Slot] is T cached)
        {
            return cached;
        }

        var encoded = encoding.Encode(this);
        return Interlocked.CompareExchange(ref slots[encoding.Slot], encoded, null) as T ?? encoded;
    }

    internal static int ReserveEncodingSlot()
    {
        var slot = Interlocked.Increment(ref s_encodingCount) - 1;
        return slot < MaxEncodings
            ? slot
            : throw new InvalidOperationException($"At most {MaxEncodings} bus event encodings may be declared.");
    }

    /// <summary>The envelope, parsed (allocates; for tests, snapshots and clients, not the fan-out path).</summary>
    public EnrichmentEnvelope ToEnvelope() => EnrichmentJson.DeserializeEnvelope(Json.Span);
}
