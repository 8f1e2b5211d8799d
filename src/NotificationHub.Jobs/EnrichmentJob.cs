using System.Text.Json.Serialization;

namespace NotificationHub.Jobs;

/// <summary>A queued enrichment run of one BOM.</summary>
/// <param name="JobId">Unique id.</param>
/// <param name="BomId">The BOM.</param>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="Items">The line items, in order.</param>
public sealed record EnrichmentJob(
    [property: JsonPropertyName("job_id")] string JobId,
    [property: JsonPropertyName("bom_id")] string BomId,
    [property: JsonPropertyName("tenant_id")] string TenantId,
    [property: JsonPropertyName("items")] IReadOnlyList<LineItem> Items);
