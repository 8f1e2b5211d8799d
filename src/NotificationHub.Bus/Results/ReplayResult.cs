namespace NotificationHub.Bus;

/// <summary>Result of reading the replay log after an id.</summary>
/// <param name="Found">True when the log still holds the id asked for, so <paramref name="Events"/> is exactly what came after it.</param>
/// <param name="Events">Events after the id, oldest first (empty when not found).</param>
public sealed record ReplayResult(bool Found, IReadOnlyList<BusEvent> Events)
{
    /// <summary>The id is not (or no longer) in the log.</summary>
    public static ReplayResult NotFound { get; } = new(false, []);
}
