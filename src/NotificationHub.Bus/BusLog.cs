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

    [LoggerMessage(6, LogLevel.Debug, "Live delivery of BOM {BomId} was interrupted; its live events are held until it is subscribed again and its log re-read")]
    public static partial void LiveDeliveryInterrupted(ILogger logger, string bomId);

    [LoggerMessage(7, LogLevel.Debug, "Live delivery of BOM {BomId} restored; re-reading its replay log")]
    public static partial void LiveDeliveryRestored(ILogger logger, string bomId);

    [LoggerMessage(8, LogLevel.Information, "Recovered {Count} events of BOM {BomId} from the replay log")]
    public static partial void Recovered(ILogger logger, string bomId, int count);

    [LoggerMessage(9, LogLevel.Error, "BOM {BomId}: more events were published during the interruption than the replay log keeps; its subscribers were cut off to resume from the snapshot")]
    public static partial void Unrecoverable(ILogger logger, string bomId);

    [LoggerMessage(10, LogLevel.Warning, "Re-reading the replay log of BOM {BomId} failed; retrying")]
    public static partial void RecoveryFailed(ILogger logger, string bomId, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "BOM {BomId}: the replay log holds events up to {EventId} that live delivery did not bring; recovering them from the log")]
    public static partial void LogAheadOfDelivery(ILogger logger, string bomId, string eventId);

    [LoggerMessage(12, LogLevel.Debug, "The periodic log check of BOM {BomId} failed; the next round tries again")]
    public static partial void LogCheckFailed(ILogger logger, string bomId, Exception exception);
}
