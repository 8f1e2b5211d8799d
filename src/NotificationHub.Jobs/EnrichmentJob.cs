namespace NotificationHub.Jobs;

/// <summary>A queued enrichment run of one BOM.</summary>
/// <param name="JobId">Unique id.</param>
/// <param name="BomId">The BOM.</param>
/// <param name="TenantId">The owning tenant.</param>
/// <param name="Items">The line items, in order.</param>
public sealed record EnrichmentJob(string JobId, string BomId, string TenantId, IReadOnlyList<LineItem> Items);
