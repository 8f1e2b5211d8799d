namespace NotificationHub.Server.Sse;

/// <summary>Log messages of the SSE endpoint.</summary>
internal static partial class SseLog
{
    [LoggerMessage(LogEventIds.SseOpened, LogLevel.Debug, "SSE stream opened: BOM {BomId}, tenant {TenantId}, resume from {LastEventId}, recovered {Recovered}")]
    public static partial void Opened(ILogger logger, string bomId, string tenantId, string? lastEventId, bool recovered);

    [LoggerMessage(LogEventIds.SseEnded, LogLevel.Debug, "SSE stream of BOM {BomId} ended: {Reason}")]
    public static partial void Ended(ILogger logger, string bomId, string reason);

    [LoggerMessage(LogEventIds.SseRefused, LogLevel.Information, "SSE request refused: {Status} {Code} for BOM {BomId}")]
    public static partial void Refused(ILogger logger, int status, string code, string bomId);
}
