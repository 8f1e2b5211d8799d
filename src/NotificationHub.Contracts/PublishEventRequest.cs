using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// Body of <c>POST /api/enrichment/{bom_id}/events</c> and the input of the in-process publisher.
/// The bus stamps <c>event_id</c>, <c>bom_id</c> and <c>created_at</c>. A batch item (<see cref="PublishBatchItem"/>) is one
/// with its BOM id and idempotency key added.
/// </summary>
public record PublishEventRequest
{
    /// <summary>One of <see cref="EnrichmentEventNames.BusEventTypes"/> (or the legacy <c>enrichment.progress</c>).</summary>
    [JsonPropertyName("event_type")]
    public string? EventType { get; init; }

    /// <summary>The tenant the BOM belongs to. The first event of a BOM makes it that tenant's.</summary>
    [JsonPropertyName("tenant_id")]
    public string? TenantId { get; init; }

    /// <summary>The progress state after this event.</summary>
    [JsonPropertyName("state")]
    public EnrichmentProgressState? State { get; init; }

    /// <summary>Optional event-specific data.</summary>
    [JsonPropertyName("payload")]
    public JsonElement? Payload { get; init; }

    /// <summary>Failure reason; only meaningful on <c>enrichment.failed</c>.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }
}
