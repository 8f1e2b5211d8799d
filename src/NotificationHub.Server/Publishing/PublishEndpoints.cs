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
    /// <summary>The request header that makes a publish idempotent (docs/protocol.md §4).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

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

        if (!TryGetIdempotencyKey(http.Request, out var idempotencyKey))
        {
            return Refuse(loggerFactory, ApiProblems.InvalidIdempotencyKey(), bom_id);
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
            var published = await bus.PublishAsync(bom_id, toPublish, idempotencyKey, http.RequestAborted);
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
    }

    /// <summary>
    /// The <c>Idempotency-Key</c> header (IETF httpapi draft), or null when absent. The draft makes it a structured-field
    /// string (<c>"…"</c>); a bare token is accepted too. False when it is present but not exactly one value of 1 to
    /// 128 printable ASCII characters.
    /// </summary>
    private static bool TryGetIdempotencyKey(HttpRequest request, out string? key)
    {
        key = null;
        if (!request.Headers.TryGetValue(IdempotencyKeyHeader, out var values))
        {
            return true;
        }

        if (values.Count != 1 || values[0] is not { } value)
        {
            return false;
        }

        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        key = value;
        return EnrichmentEventBus.IsValidIdempotencyKey(value);
    }

    // The logger is only needed for a refusal, so it is looked up here rather than on every accepted publish.
    private static ProblemHttpResult Refuse(ILoggerFactory loggerFactory, ProblemHttpResult problem, string bomId)
    {
        PublishLog.Refused(loggerFactory.CreateLogger("NotificationHub.Publishing"), problem.StatusCode, problem.ProblemDetails.Detail ?? "", ApiProblems.ForLog(bomId));
        return problem;
    }
}
