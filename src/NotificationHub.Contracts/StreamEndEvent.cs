using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Data of the <c>stream_end</c> event, sent just before the server closes the stream.</summary>
public sealed record StreamEndEvent
{
    /// <summary>Always <c>stream_end</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = EnrichmentEventNames.StreamEnd;

    /// <summary>The BOM whose stream ends (lets a multi-BOM SignalR client route it).</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>One of <see cref="StreamEndReasons"/>.</summary>
    [JsonPropertyName("reason")]
    public string Reason { get; init; } = "";
}
