using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>
/// An application message to everyone watching a BOM on the SignalR hub, on any node (client method
/// <c>BomNotice</c>). Sent by server code (<c>BomWatchers.SendAsync</c>), not an enrichment event: it is not in the
/// BOM's event log, not replayed on reconnect, and not sent to SSE clients (docs/scaleout.md).
/// </summary>
public sealed record BomNotice
{
    /// <summary>The BOM whose watchers get the notice (lets a multi-BOM client route it).</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>What the notice is about, a short machine-readable word chosen by the sender (e.g. <c>export_ready</c>).</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; init; } = "";

    /// <summary>Human-readable text, or null.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}
