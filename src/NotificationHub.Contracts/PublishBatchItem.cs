using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// One event of a batch publish: the body of <c>POST /api/enrichment/{bom_id}/events</c> with the BOM id and the
/// optional idempotency key (the single endpoint's route value and header) as fields.
/// </summary>
public sealed record PublishBatchItem : PublishEventRequest
{
    /// <summary>The BOM the event belongs to.</summary>
    [JsonPropertyName("bom_id")]
    public string? BomId { get; init; }

    /// <summary>Optional: as the single endpoint's <c>Idempotency-Key</c> header (1 to 128 printable ASCII characters, per BOM).</summary>
    [JsonPropertyName("idempotency_key")]
    public string? IdempotencyKey { get; init; }
}
