using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;

namespace NotificationHub.Server.Status;

/// <summary>The status endpoint: the polling fallback of the guide's best practices.</summary>
public static class StatusEndpoints
{
    /// <summary>Route of the status endpoint, in the API group (<c>/api/enrichment</c>).</summary>
    public const string Route = "/status/{bom_id}";

    /// <summary>Maps <c>GET /api/enrichment/status/{bom_id}</c> in the tenant's API group.</summary>
    public static IEndpointConventionBuilder MapEnrichmentStatus(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, GetStatusAsync)
            .WithName("EnrichmentStatus")
            .WithSummary("The latest progress state of one BOM.");

    private static async Task<Results<Ok<EnrichmentProgressState>, ProblemHttpResult>> GetStatusAsync(
        string bom_id, CallerTenant tenant, HttpContext http, EnrichmentEventBus bus)
    {
        var bom = await bus.GetBomForTenantAsync(bom_id, tenant.Id, http.RequestAborted);
        if (bom is null)
        {
            return ApiProblems.BomNotFound();
        }

        var latest = bom.Latest?.ToEnvelope();
        if (latest?.EventId is { Length: > 0 } id)
        {
            // The id of the event the state reflects: a client switching from polling to SSE resumes from it.
            http.Response.Headers["Last-Event-ID"] = id;
        }

        return TypedResults.Ok(latest?.State ?? new EnrichmentProgressState { BomId = bom_id, Status = EnrichmentStatus.Pending });
    }
}
