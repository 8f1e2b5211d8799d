namespace NotificationHub.Jobs;

/// <summary>
/// The queue of enrichment jobs. At most one job per BOM is active (queued or running) at a time. The producer side
/// (the start and cancel endpoints) and the consumer side (<see cref="EnrichmentWorkerService"/>) may live in
/// different processes when the implementation is shared (Redis).
/// </summary>
public interface IJobQueue
{
    /// <summary>
    /// Reserves the BOM for <paramref name="job"/> unless it has an active job, runs <paramref name="onReserved"/>
    /// (the endpoint publishes <c>enrichment.started</c> there), and only then makes the job visible to workers, so
    /// no worker can publish progress before the run's <c>started</c>. When <paramref name="onReserved"/> throws,
    /// the reservation is released and the exception propagates.
    /// </summary>
    /// <exception cref="JobQueueUnavailableException">The queue's store cannot be reached.</exception>
    ValueTask<EnqueueResult> EnqueueAsync(
        EnrichmentJob job, Func<CancellationToken, ValueTask> onReserved, CancellationToken cancellationToken = default);

    /// <summary>The items of the BOM's latest enqueued job (for a re-enrich without a body), or null.</summary>
    ValueTask<IReadOnlyList<LineItem>?> GetLastItemsAsync(string bomId, CancellationToken cancellationToken = default);

    /// <summary>Asks the BOM's active job to stop; it ends with <c>enrichment.failed</c>, status <c>cancelled</c>.</summary>
    /// <returns>The id of the job asked to stop, or null when none is active.</returns>
    ValueTask<string?> CancelAsync(string bomId, CancellationToken cancellationToken = default);

    /// <summary>Waits for the next job to run: a new one, or one whose worker stopped (resumed from its checkpoint).</summary>
    ValueTask<IJobLease> DequeueAsync(CancellationToken cancellationToken);
}
