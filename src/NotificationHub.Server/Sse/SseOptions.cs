using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Sse;

/// <summary>SSE endpoint settings, bound from the <c>Sse</c> section.</summary>
public sealed class SseOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sse";

    /// <summary>Interval of <c>keepalive</c> events (the guide: every 30 s; proxies drop idle streams after 60 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The <c>retry:</c> sent first: how long EventSource waits before reconnecting.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long the final <c>stream_end</c> may wait for a client to read before the connection is aborted: bounds
    /// what a client that stopped reading costs after it was cut off as a slow consumer, or at shutdown.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan StreamEndWriteTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
