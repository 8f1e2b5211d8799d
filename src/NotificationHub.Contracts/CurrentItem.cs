using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>The line item being processed, as the guide's <c>current_item</c>.</summary>
public sealed record CurrentItem
{
    /// <summary>Manufacturer part number.</summary>
    [JsonPropertyName("mpn")]
    public string Mpn { get; init; } = "";

    /// <summary><c>processing</c>, <c>enriched</c> or <c>error</c>.</summary>
    [JsonPropertyName("status")]
    public string Status { get; init; } = "";

    /// <summary>Optional human-readable detail.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; init; }
}
