namespace NotificationHub.Contracts;

/// <summary>Values of <see cref="StreamEndEvent.Reason"/>.</summary>
public static class StreamEndReasons
{
    /// <summary>The run completed (after <c>enrichment.completed</c>).</summary>
    public const string Completed = "completed";

    /// <summary>The run failed (after <c>enrichment.failed</c>).</summary>
    public const string Failed = "failed";

    /// <summary>The token used to open the stream expired; get a fresh one and reconnect with the last event id.</summary>
    public const string TokenExpired = "token_expired";

    /// <summary>The client could not keep up and was cut off; reconnect with the last event id.</summary>
    public const string SlowConsumer = "slow_consumer";

    /// <summary>The node is shutting down; reconnect (to another node) with the last event id.</summary>
    public const string ServerShutdown = "server_shutdown";

    /// <summary>The reason a terminal event of the given type ends a stream with.</summary>
    public static string ForTerminal(string eventType) =>
        eventType == EnrichmentEventNames.Failed ? Failed : Completed;
}
