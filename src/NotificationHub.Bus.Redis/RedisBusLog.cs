using Microsoft.Extensions.Logging;

namespace NotificationHub.Bus.Redis;

/// <summary>Source-generated log messages of the Redis backend. Never logs payloads or connection strings.</summary>
internal static partial class RedisBusLog
{
    [LoggerMessage(LogEventIds.RedisBusCorruptStoredEvent, LogLevel.Warning, "Ignored a stored event of BOM {BomId} in {Key}: {Reason}")]
    public static partial void CorruptStoredEvent(ILogger logger, string bomId, string key, string reason);

    [LoggerMessage(LogEventIds.RedisBusUnavailable, LogLevel.Error, "Redis is unavailable ({Operation} for BOM {BomId})")]
    public static partial void Unavailable(ILogger logger, string operation, string bomId, Exception exception);

    [LoggerMessage(LogEventIds.RedisBusConnectionFailed, LogLevel.Warning, "Redis connection to {EndPoint} failed ({FailureType})")]
    public static partial void ConnectionFailed(ILogger logger, string endPoint, string failureType, Exception? exception);

    [LoggerMessage(LogEventIds.RedisBusConnectionRestored, LogLevel.Information, "Redis connection to {EndPoint} restored")]
    public static partial void ConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(LogEventIds.RedisBusSubscriptionsInterrupted, LogLevel.Warning, "The subscription connection to {EndPoint} failed: live delivery of the {Count} BOMs subscribed there is held until each is subscribed again and recovered from its log")]
    public static partial void SubscriptionsInterrupted(ILogger logger, string endPoint, int count);

    [LoggerMessage(LogEventIds.RedisBusResubscribeFailed, LogLevel.Debug, "Subscribing BOM {BomId} again failed; retrying")]
    public static partial void ResubscribeFailed(ILogger logger, string bomId, Exception exception);

    [LoggerMessage(LogEventIds.RedisBusResubscribed, LogLevel.Debug, "BOM {BomId} is subscribed again, on {EndPoint} (attempt {Attempts})")]
    public static partial void Resubscribed(ILogger logger, string bomId, string endPoint, int attempts);

    [LoggerMessage(LogEventIds.RedisBusPubSubMode, LogLevel.Information, "Redis pub/sub for BOM channels: {Mode}")]
    public static partial void PubSubMode(ILogger logger, string mode);

    [LoggerMessage(LogEventIds.RedisBusNotReplicated, LogLevel.Warning, "BOM {BomId}: no replica acknowledged an appended event within {TimeoutMs} ms; the publish is answered 503")]
    public static partial void NotReplicated(ILogger logger, string bomId, long timeoutMs);

    [LoggerMessage(LogEventIds.RedisBusAcknowledgedNotPublished, LogLevel.Warning, "BOM {BomId}: publishing replica-acknowledged events live failed; subscribers get them from the log (recovery or log check)")]
    public static partial void AcknowledgedNotPublished(ILogger logger, string bomId, Exception exception);
}
