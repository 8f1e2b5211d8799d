using NotificationHub.Contracts;

namespace NotificationHub.Jobs;

/// <summary>The counters of one job as a worker runs it, and the progress state they give.</summary>
internal sealed class JobRun(EnrichmentJob job, JobCheckpoint resumedFrom, TimeProvider time)
{
    private readonly long _leasedAt = time.GetTimestamp();
    private readonly int _processedBefore = resumedFrom.Processed;

    /// <summary>Counts so far, including what a previous worker did.</summary>
    public JobCheckpoint Checkpoint { get; private set; } = resumedFrom;

    /// <summary>Counts one finished item.</summary>
    public void Count(bool enriched) => Checkpoint = enriched
        ? Checkpoint with { Processed = Checkpoint.Processed + 1, Enriched = Checkpoint.Enriched + 1 }
        : Checkpoint with { Processed = Checkpoint.Processed + 1, Errors = Checkpoint.Errors + 1 };

    /// <summary>The state to publish, with the time remaining from the item rate this worker observed.</summary>
    public EnrichmentProgressState State(string status, CurrentItem? current = null)
    {
        var total = job.Items.Count;
        var processed = Checkpoint.Processed;
        var doneHere = processed - _processedBefore;
        double? eta = doneHere == 0 ? null
            : Math.Round(time.GetElapsedTime(_leasedAt).TotalSeconds / doneHere * (total - processed), 1);
        return new EnrichmentProgressState
        {
            Status = status,
            TotalItems = total,
            ProcessedItems = processed,
            EnrichedItems = Checkpoint.Enriched,
            ErrorItems = Checkpoint.Errors,
            PercentComplete = total == 0 ? 100 : Math.Round(100.0 * processed / total, 2),
            CurrentItem = current,
            EstimatedTimeRemaining = eta,
        };
    }
}
