using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Bus;

/// <summary>Settings of publishing, bound from the <c>Publish</c> configuration section.</summary>
public sealed class PublishOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Publish";

    /// <summary>
    /// How long an <c>Idempotency-Key</c> is remembered per BOM: within it, a publish with a key already used on the
    /// BOM appends nothing and answers the first publish's event id. Longer than any publisher's retry horizon.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Most events one request to <c>POST /api/enrichment/events</c> may carry; a larger batch is refused whole with
    /// <c>400 invalid_batch</c>. Bounds the work and the memory one request can ask for.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxBatchEvents { get; set; } = 100;
}
