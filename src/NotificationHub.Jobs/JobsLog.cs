using Microsoft.Extensions.Logging;

namespace NotificationHub.Jobs;

/// <summary>Log messages of the worker.</summary>
internal static partial class JobsLog
{
    [LoggerMessage(400, LogLevel.Information, "Job {JobId} of BOM {BomId} started: {Items} items")]
    public static partial void Started(ILogger logger, string jobId, string bomId, int items);

    [LoggerMessage(401, LogLevel.Information, "Job {JobId} of BOM {BomId} ended: {Status}, {Enriched} enriched, {Errors} errors")]
    public static partial void Ended(ILogger logger, string jobId, string bomId, string status, int enriched, int errors);

    [LoggerMessage(402, LogLevel.Error, "Job {JobId} of BOM {BomId} crashed")]
    public static partial void Crashed(ILogger logger, string jobId, string bomId, Exception exception);
}
