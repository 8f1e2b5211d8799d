using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Jobs;

/// <summary>
/// Runs one job (whose <c>enrichment.started</c> <see cref="PublishStartedAsync">was published when it was accepted</see>):
/// a <c>progress</c> per item (coalesced when items finish faster than <see cref="WorkerOptions.MinProgressInterval"/>;
/// the final state is always published), then <c>enrichment.completed</c>, or <c>enrichment.failed</c> with status
/// <c>cancelled</c> on cancel.
/// </summary>
/// <remarks>
/// Each item's counts are checkpointed in the queue before its progress is published: a worker that takes the job
/// over resumes after the last checkpointed item, so no item is counted twice, skipped, or published twice.
/// </remarks>
public sealed class EnrichmentJobRunner(
    EnrichmentEventBus bus,
    IPartEnricher enricher,
    IOptions<WorkerOptions> options,
    JobMetrics metrics,
    TimeProvider time,
    ILogger<EnrichmentJobRunner> logger)
{
    /// <summary>
    /// Publishes the job's <c>enrichment.started</c>. Called when the job is accepted, before the 202, not when a
    /// worker picks it up: a client that connects right after starting a re-enrichment must see the new run, not
    /// the previous run's terminal event.
    /// </summary>
    public Task PublishStartedAsync(EnrichmentJob job, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return bus.PublishAsync(job.BomId, new PublishEventRequest
        {
            EventType = EnrichmentEventNames.Started,
            TenantId = job.TenantId,
            State = new EnrichmentProgressState { Status = EnrichmentStatus.Enriching, TotalItems = job.Items.Count },
            Payload = JobPayload(job),
        }, IdempotencyKey(job, "started"), cancellationToken).AsTask();
    }

    /// <summary>
    /// Runs the leased job to its terminal event and completes the lease. Returns without completing it when
    /// <paramref name="stopping"/> fires (the caller gives the job back) or when another worker took it over.
    /// </summary>
    public async Task RunAsync(IJobLease lease, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var job = lease.Job;
        var run = new JobRun(job, lease.Checkpoint, time);
        if (lease.IsTakeover && await AlreadyEndedAsync(job, stopping))
        {
            // The previous worker published the terminal event and died before completing the lease.
            await lease.CompleteAsync(stopping);
            return;
        }

        using var activity = JobTracing.StartRun(job, lease.IsTakeover);
        JobsLog.Started(logger, job.JobId, job.BomId, job.Items.Count, lease.Checkpoint.Processed);
        if (lease.IsTakeover)
        {
            metrics.TakenOver.Add(1);
        }

        metrics.Running.Add(1);
        try
        {
            await RunItemsAsync(lease, run, stopping);
        }
        finally
        {
            metrics.Running.Add(-1);
        }
    }

    private async Task RunItemsAsync(IJobLease lease, JobRun run, CancellationToken stopping)
    {
        var job = lease.Job;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, lease.CancellationRequested);
        try
        {
            var lastPublished = long.MinValue;
            for (var i = run.Checkpoint.Processed; i < job.Items.Count; i++)
            {
                linked.Token.ThrowIfCancellationRequested();
                var item = job.Items[i];
                var error = await enricher.EnrichAsync(item, linked.Token);
                run.Count(error is null);
                metrics.Items.Add(1, new KeyValuePair<string, object?>("result", error is null ? "enriched" : "error"));
                await RetryAsync(job, "checkpoint", ct => lease.SaveCheckpointAsync(run.Checkpoint, ct), stopping);

                var now = time.GetTimestamp();
                if (run.Checkpoint.Processed == job.Items.Count || lastPublished == long.MinValue
                    || time.GetElapsedTime(lastPublished, now) >= options.Value.MinProgressInterval)
                {
                    lastPublished = now;
                    var current = new CurrentItem { Mpn = item.Mpn, Status = error is null ? "enriched" : "error", Message = error };
                    await PublishAsync(job, EnrichmentEventNames.Progress, run.State(EnrichmentStatus.Enriching, current), null, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (lease.CancellationRequested.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            await PublishAsync(job, EnrichmentEventNames.Failed, run.State(EnrichmentStatus.Cancelled), "cancelled", stopping);
            await RetryAsync(job, "complete", lease.CompleteAsync, stopping);
            metrics.Ended.Add(1, new KeyValuePair<string, object?>("status", EnrichmentStatus.Cancelled));
            JobsLog.Ended(logger, job.JobId, job.BomId, EnrichmentStatus.Cancelled, run.Checkpoint.Enriched, run.Checkpoint.Errors);
            return;
        }
        catch (JobLeaseLostException)
        {
            JobsLog.LeaseLost(logger, job.JobId, job.BomId);
            return;
        }

        await PublishAsync(job, EnrichmentEventNames.Completed, run.State(EnrichmentStatus.Completed), null, stopping);
        await RetryAsync(job, "complete", lease.CompleteAsync, stopping);
        metrics.Ended.Add(1, new KeyValuePair<string, object?>("status", EnrichmentStatus.Completed));
        JobsLog.Ended(logger, job.JobId, job.BomId, EnrichmentStatus.Completed, run.Checkpoint.Enriched, run.Checkpoint.Errors);
    }

    private async Task<bool> AlreadyEndedAsync(EnrichmentJob job, CancellationToken cancellationToken)
    {
        var latest = (await bus.GetBomForTenantAsync(job.BomId, job.TenantId, cancellationToken))?.Latest;
        if (latest is not { IsTerminal: true })
        {
            return false;
        }

        var payload = latest.ToEnvelope().Payload;
        return payload is { ValueKind: JsonValueKind.Object } p
            && p.TryGetProperty("job_id", out var id) && id.ValueEquals(job.JobId);
    }

    // A Redis outage must not lose the run: keep trying until the bus is back or the worker stops (then the job is
    // given back and resumed from its checkpoint). The idempotency key names this event of this job, so a publish
    // whose reply was lost (applied, then timed out) and is retried is not appended twice.
    private Task PublishAsync(EnrichmentJob job, string eventType, EnrichmentProgressState state, string? error, CancellationToken stopping)
    {
        var request = new PublishEventRequest
        {
            EventType = eventType,
            TenantId = job.TenantId,
            State = state,
            Payload = JobPayload(job),
            Error = error,
        };
        var key = IdempotencyKey(job, eventType == EnrichmentEventNames.Progress
            ? "p" + state.ProcessedItems.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : eventType);
        return RetryAsync(job, eventType, ct => bus.PublishAsync(job.BomId, request, key, ct), stopping);
    }

    /// <summary>
    /// Runs <paramref name="step"/> until it succeeds, retrying through a Redis outage (bus or queue unavailable) with
    /// backoff; logs the outage once when it starts and once when it ends. Every step retried here is idempotent:
    /// publishes carry an idempotency key, checkpoints write the same counts again, completing twice is harmless.
    /// </summary>
    private async Task RetryAsync<T>(EnrichmentJob job, string step, Func<CancellationToken, ValueTask<T>> call, CancellationToken stopping)
    {
        await RetryAsync(job, step, async ct => { await call(ct); }, stopping);
    }

    private async Task RetryAsync(EnrichmentJob job, string step, Func<CancellationToken, ValueTask> call, CancellationToken stopping)
    {
        var backoff = RetryBackoff.Default();
        while (true)
        {
            try
            {
                await call(stopping);
                if (backoff.Succeed() is > 0 and var failures)
                {
                    JobsLog.StepRecovered(logger, job.JobId, step, failures);
                }

                return;
            }
            catch (Exception ex) when (ex is BusUnavailableException or JobQueueUnavailableException)
            {
                if (backoff.Fail())
                {
                    JobsLog.StepRetrying(logger, job.JobId, step, ex);
                }

                await backoff.DelayAsync(time, stopping);
            }
        }
    }

    /// <summary>The key of one event of one job: the same on every retry and on the worker that takes the job over.</summary>
    private static string IdempotencyKey(EnrichmentJob job, string step) => "job:" + job.JobId + ":" + step;

    private static JsonElement JobPayload(EnrichmentJob job) =>
        JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["job_id"] = job.JobId });
}
