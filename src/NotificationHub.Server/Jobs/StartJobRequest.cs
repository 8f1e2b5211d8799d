using System.Text.Json.Serialization;
using NotificationHub.Jobs;

namespace NotificationHub.Server.Jobs;

/// <summary>Body of <c>POST /api/enrichment/{bom_id}/start</c>; absent to re-enrich the previous run's items.</summary>
public sealed record StartJobRequest
{
    /// <summary>The BOM's line items.</summary>
    [JsonPropertyName("items")]
    public IReadOnlyList<LineItem>? Items { get; init; }
}
