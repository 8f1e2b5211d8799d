using System.Text.Json.Serialization;

namespace NotificationHub.Server.Dev;

/// <summary>Answer of <c>GET /api/dev/token</c>.</summary>
public sealed record DevToken
{
    /// <summary>The signed JWT.</summary>
    [JsonPropertyName("token")]
    public string Token { get; init; } = "";

    /// <summary>Its tenant claim.</summary>
    [JsonPropertyName("tenant_id")]
    public string TenantId { get; init; } = "";

    /// <summary>Its subject.</summary>
    [JsonPropertyName("sub")]
    public string Subject { get; init; } = "";

    /// <summary>Its expiry.</summary>
    [JsonPropertyName("expires_at")]
    public DateTimeOffset ExpiresAt { get; init; }
}
