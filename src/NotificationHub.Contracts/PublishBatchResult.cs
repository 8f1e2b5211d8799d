using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// The result of one event of a batch: what the single endpoint would have answered for it. <c>202</c> with the
/// event id, or the status and <c>code</c> of the problem the single endpoint would have returned (docs/protocol.md §6).
/// </summary>
public sealed record PublishBatchResult
{
    /// <summary><c>202</c> when published (or repeated under its idempotency key), else the problem's status.</summary>
    [JsonPropertyName("status")]
    public int Status { get; init; }

    /// <summary>The event id (the SSE <c>id:</c>), when published.</summary>
    [JsonPropertyName("event_id")]
    public string? EventId { get; init; }

    /// <summary>The problem's stable code (<c>invalid_event</c>, <c>tenant_mismatch</c>, ...), when refused.</summary>
    [JsonPropertyName("code")]
    public string? Code { get; init; }

    /// <summary>What was wrong, when refused.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; init; }
}
