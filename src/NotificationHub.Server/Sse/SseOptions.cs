using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Sse;

/// <summary>SSE endpoint settings, bound from the <c>Sse</c> section (the lifecycle ones are <see cref="Bus.StreamOptions"/>).</summary>
public sealed class SseOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Sse";

    /// <summary>The <c>retry:</c> sent first: how long EventSource waits before reconnecting.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(3);
}
