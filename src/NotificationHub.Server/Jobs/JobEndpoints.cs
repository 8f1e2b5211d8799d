using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Jobs;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;

namespace NotificationHub.Server.Jobs;

/// <summary>The Re-Enrich button: start and cancel enrichment jobs (a Redis outage: <see cref="BusUnavailableFilter"/>).</summary>
public static class JobEndpoints
{
    private static readonly JsonSerializerOptions BodyOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Maps <c>POST /api/enrichment/{bom_id}/start</c> and <c>/cancel</c>.</summary>
    public static IEndpointRouteBuilder MapEnrichmentJobs(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/enrichment/{bom_id}/start", StartAsync)
            .RequireAuthorization(ClaimNames.TenantPolicy)
            .WithName("StartEnrichment");
        endpoints.MapPost("/api/enrichment/{bom_id}/cancel", CancelAsync)
            .RequireAuthorization(ClaimNames.TenantPolicy)
            .WithName("CancelEnrichment");
        return endpoints;
    }

    private static async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> StartAsync(
        string bom_id, HttpContext http, EnrichmentEventBus bus, IJobQueue queue, EnrichmentJobRunner runner,
        IOptions<JobOptions> jobOptions, IOptions<AuthOptions> authOptions)
    {
        if (!BomIds.IsValid(bom_id))
        {
            return ApiProblems.InvalidBomId();
        }

        if (http.User.GetTenantId(authOptions.Value.TenantClaim) is not { } tenantId)
        {
            return ApiProblems.Forbidden("The token names no tenant.");
        }

        StartJobRequest? request = null;
        if (http.Request.ContentLength is not 0)
        {
            try
            {
                request = await JsonSerializer.DeserializeAsync<StartJobRequest>(http.Request.Body, BodyOptions, http.RequestAborted);
            }
            catch (JsonException ex)
            {
                return ApiProblems.InvalidJob($"The body is not valid: {ex.Message}");
            }
        }

        // The tenant that first enriches a BOM owns it; another tenant gets the same 404 as for an unknown BOM.
        if (!await bus.ClaimAsync(bom_id, tenantId, http.RequestAborted))
        {
            return ApiProblems.BomNotFound();
        }

        {
            var items = request?.Items ?? await queue.GetLastItemsAsync(bom_id, http.RequestAborted);
            var max = jobOptions.Value.MaxItemsPerJob;
            if (items is null || items.Count == 0)
            {
                return ApiProblems.InvalidJob("No items: send { \"items\": [ { \"mpn\": ... } ] } (or re-enrich a BOM enriched before).");
            }

            if (items.Count > max)
            {
                return ApiProblems.InvalidJob($"{items.Count} items; at most {max} per job.");
            }

            if (items.FirstOrDefault(i => !LineItem.IsValidMpn(i.Mpn)) is { } bad)
            {
                return ApiProblems.InvalidJob($"Malformed MPN '{ApiProblems.ForLog(bad.Mpn ?? "")}': 1 to 64 characters from [A-Za-z0-9 ._/+#-].");
            }

            var job = new EnrichmentJob(Guid.NewGuid().ToString("N"), bom_id, tenantId, items);

            // started is published while the BOM is reserved and before any worker can see the job.
            var result = await queue.EnqueueAsync(job, ct => new ValueTask(runner.PublishStartedAsync(job, ct)), http.RequestAborted);
            return result.Enqueued
                ? TypedResults.Accepted((string?)null, new JobAccepted { JobId = job.JobId, BomId = bom_id })
                : ApiProblems.JobAlreadyRunning(result.ActiveJobId);
        }
    }

    private static async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> CancelAsync(
        string bom_id, HttpContext http, EnrichmentEventBus bus, IJobQueue queue, IOptions<AuthOptions> authOptions)
    {
        if (!BomIds.IsValid(bom_id))
        {
            return ApiProblems.InvalidBomId();
        }

        if (http.User.GetTenantId(authOptions.Value.TenantClaim) is not { } tenantId
            || await bus.GetBomForTenantAsync(bom_id, tenantId, http.RequestAborted) is null)
        {
            return ApiProblems.BomNotFound();
        }

        return await queue.CancelAsync(bom_id, http.RequestAborted) is { } jobId
            ? TypedResults.Accepted((string?)null, new JobAccepted { JobId = jobId, BomId = bom_id })
            : ApiProblems.NoRunningJob();
    }
}
