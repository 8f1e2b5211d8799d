namespace NotificationHub.Server.Http;

/// <summary>Browser origins allowed to call the hub, bound from the <c>Cors</c> section.</summary>
public sealed class HubCorsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Cors";

    /// <summary>
    /// Exact origins (scheme://host:port). None by default in production; Development adds the portal's
    /// <c>http://localhost:27555</c> (the guide's CORS pitfall).
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}
