using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// A bus event. Its JSON is exactly what an SSE <c>data:</c> line and a SignalR <c>data</c> field carry.
/// </summary>
public sealed record EnrichmentEnvelope
{
    /// <summary>The event id; also the SSE <c>id:</c>. Assigned by the bus (the replay log's id).</summary>
    [JsonPropertyName("event_id")]
    public string EventId { get; init; } = "";

    /// <summary>One of <see cref="EnrichmentEventNames.BusEventTypes"/>; also the SSE <c>event:</c>.</summary>
    [JsonPropertyName("event_type")]
    public string EventType { get; init; } = "";

    /// <summary>The BOM.</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>The tenant that owns the BOM.</summary>
    [JsonPropertyName("tenant_id")]
    public string TenantId { get; init; } = "";

    /// <summary>When the bus accepted the event (ISO 8601, UTC).</summary>
    [JsonPropertyName("created_at")]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The progress state after this event.</summary>
    [JsonPropertyName("state")]
    public EnrichmentProgressState? State { get; init; }

    /// <summary>Optional event-specific data, passed through unchanged.</summary>
    [JsonPropertyName("payload")]
    public JsonElement? Payload { get; init; }

    /// <summary>Why the run failed; present on <c>enrichment.failed</c> only.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }
}
