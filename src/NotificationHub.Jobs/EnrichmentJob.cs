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
    [property: JsonPropertyName("items")] IReadOnlyList<LineItem> Items)
{
    /// <summary>
    /// The enqueuing request's W3C <c>traceparent</c> when it was traced, else null (and not stored): the run's span
    /// links to it (<see cref="JobTracing"/>).
    /// </summary>
    [JsonPropertyName("traceparent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }
}
