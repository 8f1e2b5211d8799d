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

    /// <summary>Binds <see cref="JobEndpointOptions"/>.</summary>
    public static IServiceCollection AddEnrichmentJobEndpoints(this IServiceCollection services)
    {
        services.AddOptions<JobEndpointOptions>().BindConfiguration(JobEndpointOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>Maps <c>POST /api/enrichment/{bom_id}/start</c> and <c>/cancel</c> in the tenant's API group.</summary>
    public static IEndpointRouteBuilder MapEnrichmentJobs(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/{bom_id}/start", StartAsync)
            .WithRequestBodyLimit(endpoints.GetRequestBodyLimits().StartMaxBytes!.Value)
            .WithName("StartEnrichment");
        endpoints.MapPost("/{bom_id}/cancel", CancelAsync)
            .WithName("CancelEnrichment");
        return endpoints;
    }

    private static async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> StartAsync(
        string bom_id, CallerTenant tenant, HttpContext http, EnrichmentEventBus bus, IJobQueue queue, EnrichmentJobRunner runner,
        IOptions<JobEndpointOptions> endpointOptions)
    {
        var tenantId = tenant.Id;

        StartJobRequest? request = null;
        if (await HasBodyAsync(http.Request, http.RequestAborted))
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

        // A trusted publisher (or a user where Jobs:UsersMayCreateBoms allows it) creates an unknown BOM for its
        // tenant; anyone else may only start their tenant's existing BOMs. An unknown BOM and another tenant's get the
        // same 404, so nobody learns which ids exist.
        var mayCreate = endpointOptions.Value.UsersMayCreateBoms || http.User.HasScope(ClaimNames.PublishScope);
        if (mayCreate
                ? !await bus.ClaimAsync(bom_id, tenantId, http.RequestAborted)
                : await bus.GetBomForTenantAsync(bom_id, tenantId, http.RequestAborted) is null)
        {
            return ApiProblems.BomNotFound();
        }

        {
            var items = request?.Items ?? await queue.GetLastItemsAsync(bom_id, http.RequestAborted);
            var max = endpointOptions.Value.MaxItemsPerJob;
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

            var job = new EnrichmentJob(Guid.NewGuid().ToString("N"), bom_id, tenantId, items)
            {
                TraceParent = JobTracing.CurrentTraceParent(),
            };

            // started is published while the BOM is reserved and before any worker can see the job.
            var result = await queue.EnqueueAsync(job, ct => new ValueTask(runner.PublishStartedAsync(job, ct)), http.RequestAborted);
            return result.Enqueued
                ? TypedResults.Accepted((string?)null, new JobAccepted { JobId = job.JobId, BomId = bom_id })
                : ApiProblems.JobAlreadyRunning(result.ActiveJobId);
        }
    }

    /// <summary>
    /// False for an absent or empty body, which means "the previous items": <c>curl -X POST</c> sends neither a body nor
    /// <c>Content-Length</c>, and a chunked body may be empty. Peeks without consuming, so the body stays for the parser.
    /// </summary>
    private static async ValueTask<bool> HasBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0)
        {
            return false;
        }

        var read = await request.BodyReader.ReadAsync(cancellationToken);
        request.BodyReader.AdvanceTo(read.Buffer.Start);
        return !(read.IsCompleted && read.Buffer.IsEmpty);
    }

    private static async Task<Results<Accepted<JobAccepted>, ProblemHttpResult>> CancelAsync(
        string bom_id, CallerTenant tenant, HttpContext http, EnrichmentEventBus bus, IJobQueue queue)
    {
        if (await bus.GetBomForTenantAsync(bom_id, tenant.Id, http.RequestAborted) is null)
        {
            return ApiProblems.BomNotFound();
        }

        return await queue.CancelAsync(bom_id, http.RequestAborted) is { } jobId
            ? TypedResults.Accepted((string?)null, new JobAccepted { JobId = jobId, BomId = bom_id })
            : ApiProblems.NoRunningJob();
    }
}
