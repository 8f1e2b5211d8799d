using System.ComponentModel.DataAnnotations;

namespace NotificationHub.Server.Http;

/// <summary>
/// Largest request bodies of the JSON API, bound from the <c>RequestBody</c> section. A larger body is refused with
/// <c>413 request_too_large</c> before it is parsed. Unset, each is sized from what its endpoint can accept.
/// </summary>
public sealed class RequestBodyOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "RequestBody";

    /// <summary>
    /// <c>POST /api/enrichment/{bom_id}/events</c>, bytes. Default: 4 × <c>Bus:MaxEventBytes</c> (the event itself is
    /// capped at <c>Bus:MaxEventBytes</c> once compacted; the margin is for whitespace and escapes in the request).
    /// </summary>
    [Range(1024, 64L << 20)]
    public long? PublishMaxBytes { get; set; }

    /// <summary>
    /// <c>POST /api/enrichment/events</c> (a batch), bytes. Default: 1 MiB, or <see cref="PublishMaxBytes"/> when that
    /// is larger (a batch of one event fits whenever the single endpoint accepts it).
    /// </summary>
    [Range(1024, 64L << 20)]
    public long? PublishBatchMaxBytes { get; set; }

    /// <summary>
    /// <c>POST /api/enrichment/{bom_id}/start</c>, bytes. Default: 512 bytes per item of <c>Jobs:MaxItemsPerJob</c>,
    /// plus 1 KiB.
    /// </summary>
    [Range(1024, 64L << 20)]
    public long? StartMaxBytes { get; set; }
}
