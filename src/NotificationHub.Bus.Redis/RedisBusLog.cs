using Microsoft.Extensions.Logging;

namespace NotificationHub.Bus.Redis;

/// <summary>Source-generated log messages of the Redis backend. Never logs payloads or connection strings.</summary>
internal static partial class RedisBusLog
{
    [LoggerMessage(101, LogLevel.Warning, "Ignored a stored event of BOM {BomId} in {Key}: {Reason}")]
    public static partial void CorruptStoredEvent(ILogger logger, string bomId, string key, string reason);

    [LoggerMessage(102, LogLevel.Error, "Redis is unavailable ({Operation} for BOM {BomId})")]
    public static partial void Unavailable(ILogger logger, string operation, string bomId, Exception exception);

    [LoggerMessage(103, LogLevel.Warning, "Redis connection to {EndPoint} failed ({FailureType}); live events published meanwhile are missed by this node's subscribers")]
    public static partial void ConnectionFailed(ILogger logger, string endPoint, string failureType, Exception? exception);

    [LoggerMessage(104, LogLevel.Information, "Redis connection to {EndPoint} restored")]
    public static partial void ConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(105, LogLevel.Information, "Redis subscriptions restored")]
    public static partial void SubscriptionsRestored(ILogger logger);

    [LoggerMessage(106, LogLevel.Warning, "BOM {BomId}: no replica acknowledged an appended event within {TimeoutMs} ms; the publish is answered 503")]
    public static partial void NotReplicated(ILogger logger, string bomId, long timeoutMs);
}
