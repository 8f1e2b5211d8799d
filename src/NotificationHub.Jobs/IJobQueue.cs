namespace NotificationHub.Jobs;

/// <summary>The queue of enrichment jobs: at most one running job per BOM.</summary>
public interface IJobQueue
{
    /// <summary>Queues <paramref name="job"/> unless a job of the same BOM is queued or running.</summary>
    StartResult TryStart(EnrichmentJob job);

    /// <summary>Requests cancellation of the BOM's job; false when none runs.</summary>
    bool TryCancel(string bomId, out string? jobId);

    /// <summary>The items of the BOM's previous job (for a re-enrich without a body).</summary>
    IReadOnlyList<LineItem>? GetLastItems(string bomId);

    /// <summary>Jobs as they are queued, with the token that cancels each.</summary>
    IAsyncEnumerable<(EnrichmentJob Job, CancellationToken Cancellation)> ReadAllAsync(CancellationToken cancellationToken);

    /// <summary>Marks the job finished, freeing its BOM for the next start.</summary>
    void Complete(EnrichmentJob job);
}
