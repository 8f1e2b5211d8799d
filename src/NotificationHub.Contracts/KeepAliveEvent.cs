using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Data of the <c>keepalive</c> event.</summary>
public sealed record KeepAliveEvent
{
    /// <summary>Always <c>keepalive</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = EnrichmentEventNames.KeepAlive;

    /// <summary>Server time.</summary>
    [JsonPropertyName("timestamp")]
    public DateTimeOffset Timestamp { get; init; }
}
