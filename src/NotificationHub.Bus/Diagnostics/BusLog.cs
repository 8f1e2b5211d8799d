using Microsoft.Extensions.Logging;

namespace NotificationHub.Bus;

/// <summary>Source-generated log messages of the bus. Never logs tokens or payloads.</summary>
internal static partial class BusLog
{
    [LoggerMessage(LogEventIds.BusDroppedChannelMessage, LogLevel.Warning, "Dropped a channel message for BOM {BomId}: {Reason}")]
    public static partial void DroppedChannelMessage(ILogger logger, string bomId, string reason);

    [LoggerMessage(LogEventIds.BusSlowConsumer, LogLevel.Information, "Subscriber of BOM {BomId} cut off as a slow consumer (more than {Capacity} events behind)")]
    public static partial void SlowConsumer(ILogger logger, string bomId, int capacity);

    [LoggerMessage(LogEventIds.BusTopicSubscribed, LogLevel.Debug, "Node subscribed to BOM {BomId}")]
    public static partial void TopicSubscribed(ILogger logger, string bomId);

    [LoggerMessage(LogEventIds.BusTopicUnsubscribed, LogLevel.Debug, "Node unsubscribed from BOM {BomId}")]
    public static partial void TopicUnsubscribed(ILogger logger, string bomId);

    [LoggerMessage(LogEventIds.BusUnsubscribeFailed, LogLevel.Error, "Unsubscribing from BOM {BomId} failed")]
    public static partial void UnsubscribeFailed(ILogger logger, string bomId, Exception exception);

    [LoggerMessage(LogEventIds.BusLiveDeliveryInterrupted, LogLevel.Debug, "Live delivery of BOM {BomId} was interrupted; its live events are held until it is subscribed again and its log re-read")]
    public static partial void LiveDeliveryInterrupted(ILogger logger, string bomId);

    [LoggerMessage(LogEventIds.BusLiveDeliveryRestored, LogLevel.Debug, "Live delivery of BOM {BomId} restored; re-reading its replay log")]
    public static partial void LiveDeliveryRestored(ILogger logger, string bomId);

    [LoggerMessage(LogEventIds.BusRecovered, LogLevel.Information, "Recovered {Count} events of BOM {BomId} from the replay log")]
    public static partial void Recovered(ILogger logger, string bomId, int count);

    [LoggerMessage(LogEventIds.BusUnrecoverable, LogLevel.Error, "BOM {BomId}: more events were published during the interruption than the replay log keeps; its subscribers were cut off to resume from the snapshot")]
    public static partial void Unrecoverable(ILogger logger, string bomId);

    [LoggerMessage(LogEventIds.BusRecoveryFailed, LogLevel.Warning, "Re-reading the replay log of BOM {BomId} failed; retrying")]
    public static partial void RecoveryFailed(ILogger logger, string bomId, Exception exception);

    [LoggerMessage(LogEventIds.BusLogAheadOfDelivery, LogLevel.Warning, "BOM {BomId}: the replay log holds events up to {EventId} that live delivery did not bring; recovering them from the log")]
    public static partial void LogAheadOfDelivery(ILogger logger, string bomId, string eventId);

    [LoggerMessage(LogEventIds.BusLogCheckFailed, LogLevel.Debug, "The periodic log check of BOM {BomId} failed; the next round tries again")]
    public static partial void LogCheckFailed(ILogger logger, string bomId, Exception exception);
}
