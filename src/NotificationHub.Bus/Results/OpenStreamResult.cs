namespace NotificationHub.Bus;

/// <summary>Outcome of <see cref="EnrichmentEventBus.OpenStreamAsync(string, string, string?, CancellationToken)"/>.</summary>
public enum OpenStreamStatus
{
    /// <summary>The BOM is unknown or belongs to another tenant (the caller cannot tell which).</summary>
    NotFound,

    /// <summary>The client already has the terminal event: nothing more will come (SSE answers 204).</summary>
    AlreadyEnded,

    /// <summary>The stream is open.</summary>
    Opened,
}
