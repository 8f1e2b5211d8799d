using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Body of <c>POST /api/enrichment/events</c>: several events, for any BOMs, in one request.</summary>
public sealed record PublishBatchRequest
{
    /// <summary>The events, published in this order per BOM (1 to <c>Publish:MaxBatchEvents</c>).</summary>
    [JsonPropertyName("events")]
    public IReadOnlyList<PublishBatchItem>? Events { get; init; }
}
