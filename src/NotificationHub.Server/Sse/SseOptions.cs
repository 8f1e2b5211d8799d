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

    /// <summary>
    /// Most BOMs one multi-BOM stream may watch (<c>/api/enrichment/stream?bom_id=…</c>). At most 50: the ids travel in
    /// the request line, which Kestrel limits to 8 KiB (50 ids of 128 characters take 6.8 KiB), and the cursor grows by
    /// 171 characters per BOM (<see cref="MultiBomCursor.MaxLength"/>).
    /// </summary>
    [Range(1, 50)]
    public int MaxBomsPerStream { get; set; } = 20;
}
