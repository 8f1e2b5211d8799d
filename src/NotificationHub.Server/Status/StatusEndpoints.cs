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
    /// <summary>Route of the status endpoint.</summary>
    public const string Route = "/api/enrichment/status/{bom_id}";

    /// <summary>Maps <c>GET /api/enrichment/status/{bom_id}</c>.</summary>
    public static IEndpointConventionBuilder MapEnrichmentStatus(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(Route, GetStatusAsync)
            .RequireAuthorization(ClaimNames.TenantPolicy)
            .WithName("EnrichmentStatus")
            .WithSummary("The latest progress state of one BOM.");

    private static async Task<Results<Ok<EnrichmentProgressState>, ProblemHttpResult>> GetStatusAsync(
        string bom_id, HttpContext http, EnrichmentEventBus bus, IOptions<AuthOptions> authOptions)
    {
        if (!BomIds.IsValid(bom_id))
        {
            return ApiProblems.InvalidBomId();
        }

        var tenantId = http.User.GetTenantId(authOptions.Value.TenantClaim);
        if (tenantId is null)
        {
            return ApiProblems.Forbidden("The token names no tenant.");
        }

        var bom = await bus.GetBomForTenantAsync(bom_id, tenantId, http.RequestAborted);
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
