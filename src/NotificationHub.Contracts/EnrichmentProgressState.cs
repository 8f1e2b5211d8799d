using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// The guide's <c>EnrichmentProgressState</c>, plus <see cref="Status"/> and <see cref="UpdatedAt"/>.
/// The hook does <c>setProgress(data.state)</c> with this object.
/// </summary>
public sealed record EnrichmentProgressState
{
    /// <summary>The BOM this state belongs to.</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>
    /// One of <see cref="EnrichmentStatus"/>. A publisher may leave it out: the bus then derives it from the event
    /// type (<c>enriching</c> for started/progress, <c>completed</c>, <c>failed</c>).
    /// </summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    /// <summary>Line items in the run.</summary>
    [JsonPropertyName("total_items")]
    public int TotalItems { get; init; }

    /// <summary>Items done, enriched or in error: <c>enriched_items + error_items</c>.</summary>
    [JsonPropertyName("processed_items")]
    public int ProcessedItems { get; init; }

    /// <summary>Items enriched successfully.</summary>
    [JsonPropertyName("enriched_items")]
    public int EnrichedItems { get; init; }

    /// <summary>Items that could not be enriched. (Legacy workers call these <c>failed_items</c>.)</summary>
    [JsonPropertyName("error_items")]
    public int ErrorItems { get; init; }

    /// <summary>0 to 100.</summary>
    [JsonPropertyName("percent_complete")]
    public double PercentComplete { get; init; }

    /// <summary>The item being processed, if any.</summary>
    [JsonPropertyName("current_item")]
    public CurrentItem? CurrentItem { get; init; }

    /// <summary>Seconds, estimated from the observed item rate.</summary>
    [JsonPropertyName("estimated_time_remaining")]
    public double? EstimatedTimeRemaining { get; init; }

    /// <summary>When the producer computed this state.</summary>
    [JsonPropertyName("updated_at")]
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>
    /// Fields the contract does not name (for example a legacy worker's <c>current_batch</c>):
    /// kept and passed through so existing UIs that read them keep working.
    /// </summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}
