namespace NotificationHub.Server.Publishing;

/// <summary>Log messages of the publishing API.</summary>
internal static partial class PublishLog
{
    [LoggerMessage(LogEventIds.PublishRefused, LogLevel.Information, "Publish refused: {Status} {Detail} for BOM {BomId}")]
    public static partial void Refused(ILogger logger, int status, string detail, string bomId);

    [LoggerMessage(LogEventIds.PublishBatchRefused, LogLevel.Information, "Publish batch: {Refused} of {Count} events refused; the first: {Status} {Detail} for BOM {BomId}")]
    public static partial void BatchRefused(ILogger logger, int refused, int count, int status, string detail, string bomId);
}
