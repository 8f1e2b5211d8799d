using Microsoft.Extensions.Logging;

namespace NotificationHub.Bus;

/// <summary>Source-generated log messages of the bus. Never logs tokens or payloads.</summary>
internal static partial class BusLog
{
    [LoggerMessage(1, LogLevel.Warning, "Dropped a channel message for BOM {BomId}: {Reason}")]
    public static partial void DroppedChannelMessage(ILogger logger, string bomId, string reason);

    [LoggerMessage(2, LogLevel.Information, "Subscriber of BOM {BomId} cut off as a slow consumer ({Capacity} events queued)")]
    public static partial void SlowConsumer(ILogger logger, string bomId, int capacity);

    [LoggerMessage(3, LogLevel.Debug, "Node subscribed to BOM {BomId}")]
    public static partial void TopicSubscribed(ILogger logger, string bomId);

    [LoggerMessage(4, LogLevel.Debug, "Node unsubscribed from BOM {BomId}")]
    public static partial void TopicUnsubscribed(ILogger logger, string bomId);

    [LoggerMessage(5, LogLevel.Error, "Unsubscribing from BOM {BomId} failed")]
    public static partial void UnsubscribeFailed(ILogger logger, string bomId, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Live delivery from the backend was interrupted; watched BOMs will be recovered from the replay log")]
    public static partial void LiveDeliveryInterrupted(ILogger logger);

    [LoggerMessage(7, LogLevel.Information, "Live delivery restored; recovering {Count} watched BOMs from the replay log")]
    public static partial void Recovering(ILogger logger, int count);

    [LoggerMessage(8, LogLevel.Information, "Recovered {Count} events of BOM {BomId} from the replay log")]
    public static partial void Recovered(ILogger logger, string bomId, int count);

    [LoggerMessage(9, LogLevel.Error, "BOM {BomId}: more events were published during the interruption than the replay log keeps; its subscribers were cut off to resume from the snapshot")]
    public static partial void Unrecoverable(ILogger logger, string bomId);

    [LoggerMessage(10, LogLevel.Error, "Recovering watched BOMs from the replay log failed")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception);
}
