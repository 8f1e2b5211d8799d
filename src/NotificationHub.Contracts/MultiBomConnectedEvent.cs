using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Data of the <c>connected</c> event of the multi-BOM SSE stream: each requested BOM as the server sees it.</summary>
public sealed record MultiBomConnectedEvent
{
    /// <summary>Always <c>connected</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = EnrichmentEventNames.Connected;

    /// <summary>Human-readable confirmation.</summary>
    [JsonPropertyName("message")]
    public string Message { get; init; } = "Stream connected";

    /// <summary>One entry per requested BOM, in request order (repeated ids collapsed).</summary>
    [JsonPropertyName("boms")]
    public IReadOnlyList<ConnectedBom> Boms { get; init; } = [];
}
