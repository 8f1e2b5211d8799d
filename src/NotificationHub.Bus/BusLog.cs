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
}
