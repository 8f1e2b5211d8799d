using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace NotificationHub.Jobs;

/// <summary>Takes jobs from the queue and runs up to <see cref="JobOptions.Concurrency"/> at once.</summary>
public sealed class EnrichmentWorkerService(
    IJobQueue queue,
    EnrichmentJobRunner runner,
    IOptions<JobOptions> options,
    ILogger<EnrichmentWorkerService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(options.Value.Concurrency);
        var running = new List<Task>();
        try
        {
            await foreach (var (job, cancellation) in queue.ReadAllAsync(stoppingToken))
            {
                await slots.WaitAsync(stoppingToken);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(RunOneAsync(job, slots, cancellation));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }

        await Task.WhenAll(running);
    }

    private async Task RunOneAsync(EnrichmentJob job, SemaphoreSlim slots, CancellationToken cancellation)
    {
        await Task.Yield();
        try
        {
            await runner.RunAsync(job, cancellation);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            JobsLog.Crashed(logger, job.JobId, job.BomId, ex);
        }
        finally
        {
            queue.Complete(job);
            slots.Release();
        }
    }
}
