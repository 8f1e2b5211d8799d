using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Bus;

/// <summary>Settings of every stream's lifecycle (<see cref="StreamPump"/>), bound from the <c>Stream</c> section.</summary>
public sealed class StreamOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Stream";

    /// <summary>
    /// Interval of <c>keepalive</c> events on SSE (the guide: every 30 s; proxies drop idle streams after 60 s).
    /// SignalR has its own ping (<c>HubOptions.KeepAliveInterval</c>) and gets none.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the final <c>stream_end</c> may wait for a client to read before the connection is aborted: bounds
    /// what a client that stopped reading costs after it was cut off as a slow consumer, or at shutdown.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan EndWriteTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
