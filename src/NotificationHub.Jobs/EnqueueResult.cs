namespace NotificationHub.Jobs;

/// <summary>Outcome of <see cref="IJobQueue.EnqueueAsync"/>.</summary>
/// <param name="Enqueued">True when the job was enqueued; false when another job of the BOM is active.</param>
/// <param name="ActiveJobId">The enqueued job's id, or the id of the job already active for the BOM.</param>
public readonly record struct EnqueueResult(bool Enqueued, string ActiveJobId);
