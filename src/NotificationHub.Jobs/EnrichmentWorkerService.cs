using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NotificationHub.Jobs;

/// <summary>
/// Takes jobs from the queue and runs up to <see cref="WorkerOptions.Concurrency"/> at once (unless
/// <see cref="WorkerOptions.Enabled"/> is off). On shutdown, jobs still running are given back to the queue at their
/// checkpoint, for another worker to finish.
/// </summary>
/// <remarks>
/// A Redis outage never stops it: it backs off (with jitter) and retries, logging the outage once when it starts and
/// once when it ends. Anything else that escapes the loop is a real failure: it is logged as critical and sets the
/// process exit code to 1 before the host stops (<see cref="BackgroundServiceExceptionBehavior.StopHost"/>, set
/// explicitly by <see cref="JobsServiceCollectionExtensions.AddEnrichmentJobs"/>), so a supervisor that restarts only
/// failed processes restarts this one. The host alone would exit with 0.
/// </remarks>
public sealed class EnrichmentWorkerService(
    IJobQueue queue,
    EnrichmentJobRunner runner,
    IOptions<WorkerOptions> options,
    TimeProvider time,
    ILogger<EnrichmentWorkerService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var slots = new SemaphoreSlim(options.Value.Concurrency);
        var running = new List<Task>();
        var backoff = RetryBackoff.Default();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                IJobLease lease;
                try
                {
                    lease = await queue.DequeueAsync(stoppingToken);
                }
                catch (JobQueueUnavailableException ex)
                {
                    slots.Release();
                    if (backoff.Fail())
                    {
                        JobsLog.QueueUnavailable(logger, ex);
                    }

                    await backoff.DelayAsync(time, stoppingToken);
                    continue;
                }

                if (backoff.Succeed() is > 0 and var failures)
                {
                    JobsLog.QueueRestored(logger, failures);
                }

                running.RemoveAll(t => t.IsCompleted);
                running.Add(RunOneAsync(lease, slots, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
        catch (Exception ex)
        {
            JobsLog.WorkerFailed(logger, ex);
            Environment.ExitCode = 1;
            await Task.WhenAll(running);
            throw;
        }

        await Task.WhenAll(running);
    }

    private async Task RunOneAsync(IJobLease lease, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            await using (lease)
            {
                await runner.RunAsync(lease, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Given back by the dispose above.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Given back too: the next worker resumes from the checkpoint.
            JobsLog.Crashed(logger, lease.Job.JobId, lease.Job.BomId, ex);
        }
        finally
        {
            slots.Release();
        }
    }
}
