using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Answer of the publishing API: the id the bus gave the event.</summary>
public sealed record PublishEventResponse
{
    /// <summary>The event id (the SSE <c>id:</c>).</summary>
    [JsonPropertyName("event_id")]
    public string EventId { get; init; } = "";
}
