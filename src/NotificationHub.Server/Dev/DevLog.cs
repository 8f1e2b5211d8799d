namespace NotificationHub.Server.Dev;

/// <summary>Log messages of the Development-only endpoints (never the token itself).</summary>
internal static partial class DevLog
{
    [LoggerMessage(LogEventIds.DevTokenIssued, LogLevel.Information, "Issued a development token for tenant {Tenant}, subject {Subject}, expiring {ExpiresAt:O}")]
    public static partial void TokenIssued(ILogger logger, string tenant, string subject, DateTimeOffset expiresAt);
}
