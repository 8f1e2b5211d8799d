namespace NotificationHub.Contracts;

/// <summary>
/// The SSE <c>event:</c> names of the enrichment stream, exactly as the integration guide's
/// <c>useEnrichmentSSE</c> hook listens for them. SignalR clients receive the same names.
/// </summary>
public static class EnrichmentEventNames
{
    /// <summary>First event of every SSE stream: the subscription as the server sees it.</summary>
    public const string Connected = "connected";

    /// <summary>An enrichment run began.</summary>
    public const string Started = "enrichment.started";

    /// <summary>Progress of a running enrichment. (The legacy backend wrongly sent <c>enrichment.progress</c>.)</summary>
    public const string Progress = "progress";

    /// <summary>The run finished; terminal.</summary>
    public const string Completed = "enrichment.completed";

    /// <summary>The run failed or was cancelled; terminal.</summary>
    public const string Failed = "enrichment.failed";

    /// <summary>The server is about to close the stream; carries a <see cref="StreamEndReasons">reason</see>.</summary>
    public const string StreamEnd = "stream_end";

    /// <summary>Heartbeat sent as a real event (the legacy backend sent an SSE comment the hook never saw).</summary>
    public const string KeepAlive = "keepalive";

    /// <summary>The name legacy workers use for <see cref="Progress"/>; accepted on input, never sent.</summary>
    public const string LegacyProgress = "enrichment.progress";

    /// <summary>Event types that travel on the bus (published by workers, stored in the replay log).</summary>
    public static IReadOnlyList<string> BusEventTypes { get; } = [Started, Progress, Completed, Failed];

    /// <summary>True for an event type a publisher may send on the bus.</summary>
    public static bool IsBusEventType(string? eventType) =>
        eventType is Started or Progress or Completed or Failed;

    /// <summary>True for the events after which a stream ends with <see cref="StreamEnd"/>.</summary>
    public static bool IsTerminal(string? eventType) => eventType is Completed or Failed;

    /// <summary>
    /// Maps an event type as a publisher wrote it (including the legacy <c>enrichment.progress</c>)
    /// to its contract name, or null when it is not a bus event type.
    /// </summary>
    public static string? Normalize(string? eventType) => eventType switch
    {
        LegacyProgress => Progress,
        Started or Progress or Completed or Failed => eventType,
        _ => null,
    };
}
