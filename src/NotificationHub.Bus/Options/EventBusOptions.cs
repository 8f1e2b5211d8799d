using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Bus;

/// <summary>Settings of the event bus, bound from the <c>Bus</c> configuration section.</summary>
public sealed class EventBusOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Bus";

    /// <summary>
    /// Events a subscriber may fall behind (written to its BOM's ring, not yet read) before it is cut off as a slow
    /// consumer; the ring grows at most to this, rounded up to a power of two.
    /// </summary>
    [Range(1, 1_000_000)]
    public int SubscriberQueueCapacity { get; set; } = 1024;

    /// <summary>Largest accepted envelope, in bytes; larger publishes and channel messages are refused.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxEventBytes { get; set; } = 64 * 1024;

    /// <summary>Events the replay log keeps per BOM (older ones are trimmed; resuming past them gives the snapshot).</summary>
    [Range(1, 1_000_000)]
    public int ReplayLogMaxLength { get; set; } = 1000;

    /// <summary>How long the log and snapshot of a finished BOM are kept after its terminal event.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan FinishedRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long the log and snapshot of a BOM that never finishes are kept after its last event: each non-terminal
    /// event restarts this clock, a terminal one replaces it with <see cref="FinishedRetention"/>. Bounds what
    /// abandoned runs (a publisher that died before its terminal event) cost the store.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan IdleRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How often each watched BOM's latest log id is compared with the last event the node delivered (a cheap read,
    /// spread over the interval): the backstop that recovers events live delivery missed without the backend noticing.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00")]
    public TimeSpan LogCheckInterval { get; set; } = TimeSpan.FromSeconds(30);
}
