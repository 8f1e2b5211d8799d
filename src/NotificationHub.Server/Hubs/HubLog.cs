namespace NotificationHub.Server.Hubs;

/// <summary>Log messages of the SignalR hub.</summary>
internal static partial class HubLog
{
    [LoggerMessage(LogEventIds.HubConnected, LogLevel.Debug, "Hub connection {ConnectionId} opened by {Subject} of tenant {TenantId}")]
    public static partial void Connected(ILogger logger, string connectionId, string subject, string? tenantId);

    [LoggerMessage(LogEventIds.HubDisconnected, LogLevel.Debug, "Hub connection {ConnectionId} closed; it watched {Count} BOMs")]
    public static partial void Disconnected(ILogger logger, string connectionId, int count);

    [LoggerMessage(LogEventIds.HubSubscribed, LogLevel.Debug, "Hub connection {ConnectionId} subscribed to BOM {BomId}, resume from {LastEventId}, recovered {Recovered}")]
    public static partial void Subscribed(ILogger logger, string connectionId, string bomId, string? lastEventId, bool recovered);

    [LoggerMessage(LogEventIds.HubUnsubscribed, LogLevel.Debug, "Hub connection {ConnectionId} unsubscribed from BOM {BomId}")]
    public static partial void Unsubscribed(ILogger logger, string connectionId, string bomId);

    [LoggerMessage(LogEventIds.HubRefused, LogLevel.Debug, "Hub invocation refused ({Reason}) for connection {ConnectionId}, BOM {BomId}: {Message}")]
    public static partial void Refused(ILogger logger, string reason, string connectionId, string bomId, string message);

    [LoggerMessage(LogEventIds.HubInvocationFailed, LogLevel.Error, "Hub method {Method} failed on connection {ConnectionId}")]
    public static partial void InvocationFailed(ILogger logger, Exception exception, string method, string connectionId);

    [LoggerMessage(LogEventIds.HubStreamEnded, LogLevel.Debug, "Hub stream of BOM {BomId} for connection {ConnectionId} ended: {Reason}")]
    public static partial void StreamEnded(ILogger logger, string connectionId, string bomId, string reason);

    [LoggerMessage(LogEventIds.HubPumpFailed, LogLevel.Warning, "Hub stream of BOM {BomId} for connection {ConnectionId} failed")]
    public static partial void PumpFailed(ILogger logger, Exception exception, string connectionId, string bomId);

    [LoggerMessage(LogEventIds.HubForeignConnectionToken, LogLevel.Information, "Hub request ({Method}) with another principal's connection token refused (404) for {Subject} of tenant {TenantId}")]
    public static partial void ForeignConnectionToken(ILogger logger, string method, string subject, string? tenantId);

    [LoggerMessage(LogEventIds.HubAlreadyEnded, LogLevel.Debug, "Hub connection {ConnectionId} already has the terminal event of BOM {BomId}")]
    public static partial void AlreadyEnded(ILogger logger, string connectionId, string bomId);

    [LoggerMessage(LogEventIds.HubBackplaneFailed, LogLevel.Warning, "Hub backplane call at {Stage} failed ({ExceptionType}: {Message}); the connection goes on without it")]
    public static partial void BackplaneFailed(ILogger logger, string stage, string exceptionType, string message);

    [LoggerMessage(LogEventIds.HubGroupChangeFailed, LogLevel.Warning, "Hub connection {ConnectionId} could not {Change} the group of BOM {BomId} ({ExceptionType}: {Message}); its events are unaffected, notices of the BOM may be missed")]
    public static partial void GroupChangeFailed(ILogger logger, string change, string connectionId, string bomId, string exceptionType, string message);
}
