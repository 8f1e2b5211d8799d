namespace NotificationHub.Jobs;

/// <summary>Outcome of <see cref="IJobQueue.TryStart"/>.</summary>
/// <param name="Started">True when the job was queued.</param>
/// <param name="JobId">The queued job's id, or the id of the job already running for the BOM.</param>
public readonly record struct StartResult(bool Started, string JobId);
