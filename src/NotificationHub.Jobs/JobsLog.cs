using Microsoft.Extensions.Logging;

namespace NotificationHub.Jobs;

/// <summary>Log messages of the worker.</summary>
internal static partial class JobsLog
{
    [LoggerMessage(LogEventIds.JobsStarted, LogLevel.Information, "Job {JobId} of BOM {BomId} running: {Items} items, resuming after {Processed}")]
    public static partial void Started(ILogger logger, string jobId, string bomId, int items, int processed);

    [LoggerMessage(LogEventIds.JobsEnded, LogLevel.Information, "Job {JobId} of BOM {BomId} ended: {Status}, {Enriched} enriched, {Errors} errors")]
    public static partial void Ended(ILogger logger, string jobId, string bomId, string status, int enriched, int errors);

    [LoggerMessage(LogEventIds.JobsCrashed, LogLevel.Error, "Job {JobId} of BOM {BomId} crashed; it is given back to the queue")]
    public static partial void Crashed(ILogger logger, string jobId, string bomId, Exception exception);

    [LoggerMessage(LogEventIds.JobsLeaseLost, LogLevel.Warning, "Job {JobId} of BOM {BomId} was taken over by another worker; this one stops")]
    public static partial void LeaseLost(ILogger logger, string jobId, string bomId);

    [LoggerMessage(LogEventIds.JobsStepRetrying, LogLevel.Warning, "Job {JobId}: {Step} failed, Redis is unavailable; retrying with backoff until it is back")]
    public static partial void StepRetrying(ILogger logger, string jobId, string step, Exception exception);

    [LoggerMessage(LogEventIds.JobsQueueUnavailable, LogLevel.Warning, "The job queue is unavailable; the worker retries with backoff until it is back")]
    public static partial void QueueUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(LogEventIds.JobsStepRecovered, LogLevel.Information, "Job {JobId}: {Step} succeeded after {Failures} failed attempts")]
    public static partial void StepRecovered(ILogger logger, string jobId, string step, int failures);

    [LoggerMessage(LogEventIds.JobsQueueRestored, LogLevel.Information, "The job queue is available again after {Failures} failed attempts")]
    public static partial void QueueRestored(ILogger logger, int failures);

    [LoggerMessage(LogEventIds.JobsWorkerFailed, LogLevel.Critical, "The job worker failed; the host stops with exit code 1 so that a supervisor restarts it")]
    public static partial void WorkerFailed(ILogger logger, Exception exception);
}
