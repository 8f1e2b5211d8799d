using System.Diagnostics;

namespace NotificationHub.Jobs;

/// <summary>
/// The span of one job run (activity source <see cref="SourceName"/>): <see cref="RunSpanName"/> (consumer), current
/// while the run publishes, so each of its <c>publish enrichment</c> spans (<see cref="Bus.BusTracing"/>) is its child.
/// It is the root of its own trace, linked to the request that enqueued the job (<see cref="EnrichmentJob.TraceParent"/>):
/// the run starts later, on whichever worker takes the job. Nothing is created unless a listener samples the source.
/// </summary>
public static class JobTracing
{
    /// <summary>The activity source's name, for OpenTelemetry registration (<c>AddSource</c>).</summary>
    public const string SourceName = "NotificationHub.Jobs";

    /// <summary>Name of the span of one job run on a worker (a taken-over job has one per worker that ran it).</summary>
    public const string RunSpanName = "run enrichment job";

    /// <summary>The job id (span attribute).</summary>
    public const string JobIdAttribute = "notificationhub.job_id";

    /// <summary>The BOM (span attribute).</summary>
    public const string BomIdAttribute = "messaging.destination.name";

    /// <summary>True when this run took the job over from a worker that stopped (span attribute).</summary>
    public const string TakeoverAttribute = "notificationhub.job.takeover";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>The current activity's W3C <c>traceparent</c>, to enqueue with a job; null when nothing is traced.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C, Recorded: true, Id: { Length: 55 } id } ? id : null;

    /// <summary>Starts the run's span and makes it current, or returns null when nobody listens.</summary>
    internal static Activity? StartRun(EnrichmentJob job, bool takeover)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        ActivityLink[]? links = job.TraceParent is { } traceParent && ActivityContext.TryParse(traceParent, null, out var enqueue)
            ? [new ActivityLink(enqueue)]
            : null;
        Activity.Current = null; // a root whatever ran before; restored when the calling async method returns
        return Source.StartActivity(RunSpanName, ActivityKind.Consumer, parentContext: default,
            tags: [
                new(JobIdAttribute, job.JobId),
                new(BomIdAttribute, job.BomId),
                new(Bus.BusTracing.TenantIdAttribute, job.TenantId),
                new(TakeoverAttribute, takeover),
            ],
            links: links);
    }
}
