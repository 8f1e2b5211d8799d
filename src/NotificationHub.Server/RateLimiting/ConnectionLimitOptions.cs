using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.RateLimiting;

/// <summary>Connection limits, bound from the <c>RateLimiting</c> section. They apply to SSE streams and SignalR alike.</summary>
public sealed class ConnectionLimitOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RateLimiting";

    /// <summary>Open streams/connections one user may hold.</summary>
    [Range(1, 1_000_000)]
    public int PerUserConcurrentConnections { get; set; } = 20;

    /// <summary>Open streams/connections one tenant may hold.</summary>
    [Range(1, 10_000_000)]
    public int PerTenantConcurrentConnections { get; set; } = 1000;

    /// <summary>Connection attempts (stream opens, SignalR negotiations) one user may make per minute.</summary>
    [Range(1, 1_000_000)]
    public int PerUserConnectionsPerMinute { get; set; } = 120;
}
