namespace NotificationHub.Server.Hosting;

/// <summary>
/// Whether the node was asked to stop and is in its <see cref="ShutdownOptions.DrainDelay"/>: readiness then answers
/// 503 while the node still serves.
/// </summary>
public sealed class DrainState
{
    private int _draining;

    /// <summary>True from the stop signal on.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) == 1;

    /// <summary>Marks the node draining; true the first time only.</summary>
    public bool Begin() => Interlocked.Exchange(ref _draining, 1) == 0;
}
