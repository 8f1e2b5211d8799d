using System.Text.Json.Serialization;

namespace NotificationHub.Jobs;

/// <summary>One line of a BOM to enrich.</summary>
public sealed record LineItem
{
    /// <summary>Manufacturer part number: 1 to 64 characters from <c>[A-Za-z0-9 ._/+#-]</c>.</summary>
    [JsonPropertyName("mpn")]
    public string Mpn { get; init; } = "";

    /// <summary>Manufacturer, optional.</summary>
    [JsonPropertyName("manufacturer")]
    public string? Manufacturer { get; init; }

    /// <summary>Quantity, optional.</summary>
    [JsonPropertyName("quantity")]
    public int? Quantity { get; init; }

    /// <summary>True for a well-formed MPN.</summary>
    public static bool IsValidMpn(string? mpn) =>
        !string.IsNullOrEmpty(mpn) && mpn.Length <= 64 && mpn.Trim().Length == mpn.Length
        && mpn.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '/' or '+' or '#' or '-');
}
