using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// One event of a batch publish: the body of <c>POST /api/enrichment/{bom_id}/events</c> with the BOM id and the
/// optional idempotency key (the single endpoint's route value and header) as fields.
/// </summary>
public sealed record PublishBatchItem
{
    /// <summary>The BOM the event belongs to.</summary>
    [JsonPropertyName("bom_id")]
    public string? BomId { get; init; }

    /// <summary>Optional: as the single endpoint's <c>Idempotency-Key</c> header (1 to 128 printable ASCII characters, per BOM).</summary>
    [JsonPropertyName("idempotency_key")]
    public string? IdempotencyKey { get; init; }

    /// <summary>As <see cref="PublishEventRequest.EventType"/>.</summary>
    [JsonPropertyName("event_type")]
    public string? EventType { get; init; }

    /// <summary>As <see cref="PublishEventRequest.TenantId"/>.</summary>
    [JsonPropertyName("tenant_id")]
    public string? TenantId { get; init; }

    /// <summary>As <see cref="PublishEventRequest.State"/>.</summary>
    [JsonPropertyName("state")]
    public EnrichmentProgressState? State { get; init; }

    /// <summary>As <see cref="PublishEventRequest.Payload"/>.</summary>
    [JsonPropertyName("payload")]
    public JsonElement? Payload { get; init; }

    /// <summary>As <see cref="PublishEventRequest.Error"/>.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>The event as the single endpoint's body.</summary>
    public PublishEventRequest ToRequest() =>
        new() { EventType = EventType, TenantId = TenantId, State = State, Payload = Payload, Error = Error };
}
