using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NotificationHub.Jobs;

/// <summary>
/// Takes jobs from the queue and runs up to <see cref="JobOptions.Concurrency"/> at once (unless
/// <see cref="JobOptions.Enabled"/> is off). On shutdown, jobs still running are given back to the queue at their
/// checkpoint, for another worker to finish.
/// </summary>
public sealed class EnrichmentWorkerService(
    IJobQueue queue,
    EnrichmentJobRunner runner,
    IOptions<JobOptions> options,
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
                    JobsLog.QueueUnavailable(logger, ex);
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                    continue;
                }

                running.RemoveAll(t => t.IsCompleted);
                running.Add(RunOneAsync(lease, slots, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
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
