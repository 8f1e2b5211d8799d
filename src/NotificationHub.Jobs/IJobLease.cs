namespace NotificationHub.Jobs;

/// <summary>
/// A job handed to one worker. <see cref="CompleteAsync"/> ends it; disposing without completing gives it back to
/// the queue (shutdown), where another worker resumes it from the <see cref="Checkpoint"/>.
/// </summary>
public interface IJobLease : IAsyncDisposable
{
    /// <summary>The job.</summary>
    EnrichmentJob Job { get; }

    /// <summary>Progress already made by a previous worker (<see cref="JobCheckpoint.None"/> for a fresh job).</summary>
    JobCheckpoint Checkpoint { get; }

    /// <summary>True when this lease took the job over from another worker that stopped.</summary>
    bool IsTakeover { get; }

    /// <summary>Signalled when the job is cancelled through <see cref="IJobQueue.CancelAsync"/>.</summary>
    CancellationToken CancellationRequested { get; }

    /// <summary>
    /// Records progress after an item and before it is published, so a worker that takes over never publishes it
    /// again. Throws <see cref="JobLeaseLostException"/> when another worker owns the job now.
    /// </summary>
    ValueTask SaveCheckpointAsync(JobCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The job published its terminal event: it leaves the queue and the BOM may start again.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken = default);
}
