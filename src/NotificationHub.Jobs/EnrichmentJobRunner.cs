using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Jobs;

/// <summary>
/// Runs one job (whose <c>enrichment.started</c> <see cref="PublishStartedAsync">was published when it was accepted</see>):
/// a <c>progress</c> per item (coalesced when items finish faster than
/// <see cref="JobOptions.MinProgressInterval"/>; the final state is always published), then
/// <c>enrichment.completed</c>, or <c>enrichment.failed</c> (status <c>cancelled</c> on cancel).
/// </summary>
public sealed class EnrichmentJobRunner(
    EnrichmentEventBus bus,
    IPartEnricher enricher,
    IOptions<JobOptions> options,
    TimeProvider time,
    ILogger<EnrichmentJobRunner> logger)
{
    /// <summary>
    /// Publishes the job's <c>enrichment.started</c>. Called when the job is accepted, before the 202, not when a
    /// worker picks it up: a client that connects right after starting a re-enrichment must see the new run, not
    /// the previous run's terminal event.
    /// </summary>
    public Task PublishStartedAsync(EnrichmentJob job, CancellationToken cancellationToken) =>
        bus.PublishAsync(job.BomId, new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Started,
            TenantId = job.TenantId,
            State = new EnrichmentProgressState { Status = EnrichmentStatus.Enriching, TotalItems = job.Items.Count },
            Payload = JobPayload(job),
        }, cancellationToken).AsTask();

    private static System.Text.Json.JsonElement JobPayload(EnrichmentJob job) =>
        System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["job_id"] = job.JobId });

    /// <summary>Runs <paramref name="job"/> to its end.</summary>
    public async Task RunAsync(EnrichmentJob job, CancellationToken cancellation)
    {
        var total = job.Items.Count;
        int enriched = 0, errors = 0;
        var startedAt = time.GetTimestamp();
        var lastPublished = long.MinValue;
        var payload = JobPayload(job);
        JobsLog.Started(logger, job.JobId, job.BomId, total);

        EnrichmentProgressState State(string status, CurrentItem? current = null)
        {
            var processed = enriched + errors;
            double? eta = processed == 0 ? null
                : Math.Round(time.GetElapsedTime(startedAt).TotalSeconds / processed * (total - processed), 1);
            return new EnrichmentProgressState
            {
                Status = status,
                TotalItems = total,
                ProcessedItems = processed,
                EnrichedItems = enriched,
                ErrorItems = errors,
                PercentComplete = total == 0 ? 100 : Math.Round(100.0 * processed / total, 2),
                CurrentItem = current,
                EstimatedTimeRemaining = eta,
            };
        }

        Task Publish(string eventType, EnrichmentProgressState state, string? error = null) =>
            bus.PublishAsync(job.BomId, new PublishEventRequest
            {
                EventType = eventType,
                TenantId = job.TenantId,
                State = state,
                Payload = payload,
                Error = error,
            }, CancellationToken.None).AsTask();

        try
        {
            for (var i = 0; i < total; i++)
            {
                var item = job.Items[i];
                var error = await enricher.EnrichAsync(item, cancellation);
                if (error is null)
                {
                    enriched++;
                }
                else
                {
                    errors++;
                }

                var now = time.GetTimestamp();
                var last = i == total - 1;
                if (last || lastPublished == long.MinValue || time.GetElapsedTime(lastPublished, now) >= options.Value.MinProgressInterval)
                {
                    lastPublished = now;
                    await Publish(EnrichmentEventNames.Progress, State(EnrichmentStatus.Enriching, new CurrentItem
                    {
                        Mpn = item.Mpn,
                        Status = error is null ? "enriched" : "error",
                        Message = error,
                    }));
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            await Publish(EnrichmentEventNames.Failed, State(EnrichmentStatus.Cancelled), "cancelled");
            JobsLog.Ended(logger, job.JobId, job.BomId, EnrichmentStatus.Cancelled, enriched, errors);
            return;
        }

        await Publish(EnrichmentEventNames.Completed, State(EnrichmentStatus.Completed));
        JobsLog.Ended(logger, job.JobId, job.BomId, EnrichmentStatus.Completed, enriched, errors);
    }
}
