using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;

namespace NotificationHub.Server.Publishing;

/// <summary>The publishing API for workers that are not .NET (a .NET worker uses <see cref="EnrichmentEventBus"/> in-process).</summary>
public static class PublishEndpoints
{
    /// <summary>Route of the publishing API.</summary>
    public const string Route = "/api/enrichment/{bom_id}/events";

    /// <summary>Maps <c>POST /api/enrichment/{bom_id}/events</c>.</summary>
    public static IEndpointConventionBuilder MapEnrichmentPublishing(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(Route, PublishAsync)
            .RequireAuthorization(ClaimNames.PublishPolicy)
            .WithRequestBodyLimit(endpoints.GetRequestBodyLimits().PublishMaxBytes!.Value)
            .WithName("PublishEnrichmentEvent")
            .WithSummary("Publishes one enrichment event to the bus (scope enrichment:publish).");

    private static async Task<Results<Accepted<PublishEventResponse>, ProblemHttpResult>> PublishAsync(
        string bom_id,
        HttpContext http,
        EnrichmentEventBus bus,
        IOptions<AuthOptions> authOptions,
        ILoggerFactory loggerFactory)
    {
        if (!BomIds.IsValid(bom_id))
        {
            return Refuse(loggerFactory, ApiProblems.InvalidBomId(), bom_id);
        }

        PublishEventRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(http.Request.Body, EnrichmentJsonContext.Default.PublishEventRequest, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Refuse(loggerFactory, ApiProblems.InvalidEvent($"The body is not a valid event: {ex.Message}"), bom_id);
        }

        if (request is null)
        {
            return Refuse(loggerFactory, ApiProblems.InvalidEvent("The body is empty."), bom_id);
        }

        // A publisher token bound to a tenant may only publish for that tenant.
        var tokenTenant = http.User.GetTenantId(authOptions.Value.TenantClaim);
        if (tokenTenant is not null && request.TenantId is not null && tokenTenant != request.TenantId)
        {
            return Refuse(loggerFactory, ApiProblems.Forbidden("The token's tenant differs from tenant_id."), bom_id);
        }

        try
        {
            // Copy the request only when the token supplies the tenant.
            var toPublish = request.TenantId is null && tokenTenant is not null ? request with { TenantId = tokenTenant } : request;
            var published = await bus.PublishAsync(bom_id, toPublish, http.RequestAborted);
            return TypedResults.Accepted((string?)null, new PublishEventResponse { EventId = published.EventId });
        }
        catch (InvalidEventException ex)
        {
            return Refuse(loggerFactory, ApiProblems.InvalidEvent(ex.Message), bom_id);
        }
        catch (BomOwnershipException)
        {
            return Refuse(loggerFactory, ApiProblems.TenantMismatch(), bom_id);
        }
        catch (BusUnavailableException)
        {
            return Refuse(loggerFactory, ApiProblems.BusUnavailable(), bom_id);
        }
    }

    // The logger is only needed for a refusal, so it is looked up here rather than on every accepted publish.
    private static ProblemHttpResult Refuse(ILoggerFactory loggerFactory, ProblemHttpResult problem, string bomId)
    {
        PublishLog.Refused(loggerFactory.CreateLogger("NotificationHub.Publishing"), problem.StatusCode, problem.ProblemDetails.Detail ?? "", ApiProblems.ForLog(bomId));
        return problem;
    }
}
