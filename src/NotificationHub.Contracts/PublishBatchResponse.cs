using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Answer of <c>POST /api/enrichment/events</c>: one result per event, in the request's order.</summary>
public sealed record PublishBatchResponse
{
    /// <summary>The results, <c>results[i]</c> for <c>events[i]</c>.</summary>
    [JsonPropertyName("results")]
    public IReadOnlyList<PublishBatchResult> Results { get; init; } = [];
}
