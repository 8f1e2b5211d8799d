namespace NotificationHub.Contracts;

/// <summary>Values of <see cref="EnrichmentProgressState.Status"/>.</summary>
public static class EnrichmentStatus
{
    /// <summary>Known but not started.</summary>
    public const string Pending = "pending";

    /// <summary>Running.</summary>
    public const string Enriching = "enriching";

    /// <summary>Finished successfully.</summary>
    public const string Completed = "completed";

    /// <summary>Finished with a failure.</summary>
    public const string Failed = "failed";

    /// <summary>Stopped on request.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The status a state implies when its publisher left it out.</summary>
    public static string ForEventType(string eventType) => eventType switch
    {
        EnrichmentEventNames.Completed => Completed,
        EnrichmentEventNames.Failed => Failed,
        _ => Enriching,
    };
}
