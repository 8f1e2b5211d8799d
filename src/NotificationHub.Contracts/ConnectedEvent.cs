using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Data of the <c>connected</c> event: the subscription as the server sees it.</summary>
public sealed record ConnectedEvent
{
    /// <summary>Always <c>connected</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = EnrichmentEventNames.Connected;

    /// <summary>The BOM subscribed to.</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>Human-readable confirmation.</summary>
    [JsonPropertyName("message")]
    public string Message { get; init; } = "Stream connected";

    /// <summary>
    /// False when the client asked to resume from an id the replay log no longer holds (or never held):
    /// it gets the current snapshot instead of the missed events, and knows it.
    /// True when resuming succeeded or no resume was asked for.
    /// </summary>
    [JsonPropertyName("recovered")]
    public bool Recovered { get; init; } = true;
}
