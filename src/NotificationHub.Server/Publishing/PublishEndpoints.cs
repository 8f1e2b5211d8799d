using System.Buffers;
using System.Text;
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

    /// <summary>Route of the publishing API, in the API group (<c>/api/enrichment</c>).</summary>
    public const string Route = "/{bom_id}/events";

    /// <summary>Route of the batch publishing API, in the API group.</summary>
    public const string BatchRoute = "/events";

    /// <summary>
    /// Maps the batch <c>POST /api/enrichment/events</c> (on the API group: its endpoint filters answer a Redis outage
    /// and bound the body).
    /// </summary>
    /// <returns>The endpoint's builder.</returns>
    public static IEndpointConventionBuilder MapEnrichmentPublishBatch(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost(BatchRoute, PublishBatchAsync)
            .RequireAuthorization(ClaimNames.PublishPolicy)
            .WithRequestBodyLimit(endpoints.GetRequestBodyLimits().PublishBatchMaxBytes!.Value)
            .WithName("PublishEnrichmentEvents")
            .WithSummary("Publishes up to Publish:MaxBatchEvents enrichment events, for any BOMs, each with its own result (scope enrichment:publish).");

    /// <summary>
    /// Maps <c>POST /api/enrichment/{bom_id}/events</c>. Not on the API group: the handler does what the group's and
    /// the body limit's endpoint filters do (413, 503 <c>bus_unavailable</c>) itself, reads the body straight into the
    /// envelope (<see cref="PublishEventJson"/>) and writes its 202 directly: a single publish, the request workers
    /// send most, pays for all of that on every event (docs/benchmarks.md, "The cost of a publish").
    /// </summary>
    /// <returns>The endpoint's builder.</returns>
    public static IEndpointConventionBuilder MapEnrichmentPublishing(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var bus = services.GetRequiredService<EnrichmentEventBus>();
        var tenantClaim = services.GetRequiredService<IOptions<AuthOptions>>().Value.TenantClaim;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("NotificationHub.Publishing");
        var bomIdLogger = services.GetRequiredService<ILogger<BomIdFilter>>();
        var maxBytes = endpoints.GetRequestBodyLimits().PublishMaxBytes!.Value;
        return endpoints.MapPost(Route, (string bom_id, HttpContext http) => PublishAsync(bom_id, http, bus, tenantClaim, logger, bomIdLogger, maxBytes))
            .RequireAuthorization(ClaimNames.PublishPolicy)
            .WithMetadata(new SinglePublishShortcut.Marker())
            .Produces<PublishEventResponse>(StatusCodes.Status202Accepted)
            .WithName("PublishEnrichmentEvent")
            .WithSummary("Publishes one enrichment event to the bus (scope enrichment:publish).");
    }

    private static async Task PublishAsync(string bomId, HttpContext http, EnrichmentEventBus bus, string tenantClaim, ILogger logger,
        ILogger bomIdLogger, long maxBytes)
    {
        // In the order the API group's filters and the body limit would answer: the BOM id (logged as BomIdFilter
        // logs it), then the declared body size.
        if (!BomIds.IsValid(bomId))
        {
            await BomIdFilter.Refuse(bomIdLogger, http.Request, bomId).ExecuteAsync(http);
            return;
        }

        if (RequestBodyLimits.Apply(http, maxBytes) is { } tooLarge)
        {
            await tooLarge.ExecuteAsync(http);
            return;
        }

        ProblemHttpResult? problem;
        if (!TryGetIdempotencyKey(http.Request, out var idempotencyKey))
        {
            problem = ApiProblems.InvalidIdempotencyKey();
        }
        else
        {
            // The whole body, then parsed in one pass. Kestrel enforces the limit while it is read (413, or 408 for a
            // body trickled too slowly: BadRequestExceptionHandler answers both).
            var body = http.Request.BodyReader;
            var read = await body.ReadAsync(http.RequestAborted);
            while (!read.IsCompleted)
            {
                body.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                read = await body.ReadAsync(http.RequestAborted);
            }

            ValueTask<string> publishing;
            try
            {
                // No cancellation token: the append is bounded by the Redis client's own timeout (a 503 after it), and
                // abandoning the wait when the client goes away would save nothing (the append is sent), while a
                // cancellable token costs a registration and a promise per publish (docs/benchmarks.md).
                publishing = StartPublish(bus, bomId, read.Buffer, http.User.GetTenantId(tenantClaim), idempotencyKey, out problem);
            }
            finally
            {
                body.AdvanceTo(read.Buffer.End);
            }

            if (problem is null)
            {
                try
                {
                    var eventId = await publishing;
                    await WriteAcceptedAsync(http.Response, eventId);
                    return;
                }
                catch (InvalidEventException ex)
                {
                    problem = ApiProblems.InvalidEvent(ex.Message);
                }
                catch (BomOwnershipException)
                {
                    problem = ApiProblems.TenantMismatch();
                }
                catch (BusUnavailableException) when (!http.Response.HasStarted)
                {
                    await BusUnavailableFilter.Answer(http.Response).ExecuteAsync(http);
                    return;
                }
            }
        }

        PublishLog.Refused(logger, problem.StatusCode, problem.ProblemDetails.Detail ?? "", ApiProblems.ForLog(bomId));
        await problem.ExecuteAsync(http);
    }

    // Parses the body and hands the event to the bus, which writes its envelope before returning: the caller releases
    // the body right after. A refusal comes back as the problem to answer.
    private static ValueTask<string> StartPublish(EnrichmentEventBus bus, string bomId, ReadOnlySequence<byte> body, string? tokenTenant,
        string? idempotencyKey, out ProblemHttpResult? problem)
    {
        problem = null;
        byte[]? copy = null;
        try
        {
            // A body Kestrel received in one piece (any small one) is read where it lies.
            var json = body.IsSingleSegment ? body.FirstSpan : Copy(body, out copy);
            PublishEventJson request;
            try
            {
                if (!PublishEventJson.TryParse(json, out request))
                {
                    problem = ApiProblems.InvalidEvent("The body is empty.");
                    return default;
                }
            }
            catch (JsonException ex)
            {
                problem = ApiProblems.InvalidEvent($"The body is not a valid event: {ex.Message}");
                return default;
            }

            // A publisher token bound to a tenant may only publish for that tenant, and supplies it when the event does not.
            if (tokenTenant is not null && request.TenantId is not null && tokenTenant != request.TenantId)
            {
                problem = ApiProblems.Forbidden("The token's tenant differs from tenant_id.");
                return default;
            }

            request.TenantId ??= tokenTenant;
            return bus.PublishAsync(bomId, request, idempotencyKey, CancellationToken.None);
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }

    private static ReadOnlySpan<byte> Copy(ReadOnlySequence<byte> body, out byte[] copy)
    {
        copy = ArrayPool<byte>.Shared.Rent((int)body.Length);
        body.CopyTo(copy);
        return copy.AsSpan(0, (int)body.Length);
    }

    // {"event_id":"…"} as the serializer writes PublishEventResponse; log ids are ASCII digits and a dash (EventLogId).
    private static ValueTask<System.IO.Pipelines.FlushResult> WriteAcceptedAsync(HttpResponse response, string eventId)
    {
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "application/json; charset=utf-8";
        var length = AcceptedPrefix.Length + eventId.Length + AcceptedSuffix.Length;
        response.ContentLength = length;
        var writer = response.BodyWriter;
        var span = writer.GetSpan(length);
        AcceptedPrefix.CopyTo(span);
        var written = AcceptedPrefix.Length + Encoding.ASCII.GetBytes(eventId, span[AcceptedPrefix.Length..]);
        AcceptedSuffix.CopyTo(span[written..]);
        writer.Advance(length);
        return writer.FlushAsync();
    }

    private static ReadOnlySpan<byte> AcceptedPrefix => "{\"event_id\":\""u8;

    private static ReadOnlySpan<byte> AcceptedSuffix => "\"}"u8;

    /// <summary>
    /// Every rule of the single publish, for one event: the BOM id, the token's tenant against the event's, the bus's
    /// validation, ownership. <see cref="BusUnavailableException"/> escapes (the caller decides: 503 for the request,
    /// or for the batch item).
    /// </summary>
    private static async ValueTask<PublishOutcome> PublishOneAsync(
        EnrichmentEventBus bus, string bomId, PublishEventRequest request, string? idempotencyKey, string? tokenTenant, CancellationToken cancellationToken)
    {
        if (!BomIds.IsValid(bomId))
        {
            return new(null, ApiProblems.InvalidBomId());
        }

        // A publisher token bound to a tenant may only publish for that tenant.
        if (tokenTenant is not null && request.TenantId is not null && tokenTenant != request.TenantId)
        {
            return new(null, ApiProblems.Forbidden("The token's tenant differs from tenant_id."));
        }

        try
        {
            // Copy the request only when the token supplies the tenant.
            var toPublish = request.TenantId is null && tokenTenant is not null ? request with { TenantId = tokenTenant } : request;
            var published = await bus.PublishAsync(bomId, toPublish, idempotencyKey, cancellationToken);
            return new(published.EventId, null);
        }
        catch (InvalidEventException ex)
        {
            return new(null, ApiProblems.InvalidEvent(ex.Message));
        }
        catch (BomOwnershipException)
        {
            return new(null, ApiProblems.TenantMismatch());
        }
    }

    private static async Task<Results<Ok<PublishBatchResponse>, ProblemHttpResult>> PublishBatchAsync(
        HttpContext http,
        EnrichmentEventBus bus,
        IOptions<AuthOptions> authOptions,
        IOptions<PublishOptions> publishOptions,
        ILoggerFactory loggerFactory)
    {
        PublishBatchRequest? batch;
        try
        {
            batch = await JsonSerializer.DeserializeAsync(http.Request.Body, EnrichmentJsonContext.Default.PublishBatchRequest, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return RefuseBatch(loggerFactory, ApiProblems.InvalidBatch($"The body is not a valid batch: {ex.Message}"));
        }

        var max = publishOptions.Value.MaxBatchEvents;
        if (batch?.Events is not { Count: > 0 } events)
        {
            return RefuseBatch(loggerFactory, ApiProblems.InvalidBatch("The batch has no events: send {\"events\":[...]} with 1 to " + max + "."));
        }

        if (events.Count > max)
        {
            return RefuseBatch(loggerFactory, ApiProblems.InvalidBatch($"The batch has {events.Count} events; at most {max} are accepted."));
        }

        // Events of different BOMs are published concurrently: their script calls go out together on the Redis
        // connection (one round trip carries many). Events of one BOM wait for the previous one, in request order.
        var tokenTenant = http.User.GetTenantId(authOptions.Value.TenantClaim);
        var pending = new Task<PublishBatchResult>[events.Count];
        Dictionary<string, Task<PublishBatchResult>>? lastOfBom = null;
        for (var i = 0; i < events.Count; i++)
        {
            var item = events[i] ?? new PublishBatchItem();
            var bomId = item.BomId ?? "";
            var validBom = BomIds.IsValid(bomId);
            Task<PublishBatchResult>? previous = null;
            if (validBom)
            {
                lastOfBom ??= new(StringComparer.Ordinal);
                lastOfBom.TryGetValue(bomId, out previous);
            }

            pending[i] = PublishItemAsync(bus, item, previous, tokenTenant, http.RequestAborted);
            if (validBom)
            {
                lastOfBom![bomId] = pending[i];
            }
        }

        var results = await Task.WhenAll(pending);
        var refused = 0;
        var firstRefused = -1;
        var unavailable = false;
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Status != StatusCodes.Status202Accepted)
            {
                refused++;
                firstRefused = firstRefused < 0 ? i : firstRefused;
                unavailable |= results[i].Status == StatusCodes.Status503ServiceUnavailable;
            }
        }

        if (refused > 0)
        {
            // One line per request, however many of its events were refused.
            var first = results[firstRefused];
            PublishLog.BatchRefused(loggerFactory.CreateLogger("NotificationHub.Publishing"), refused, results.Length,
                first.Status, first.Detail ?? "", ApiProblems.ForLog(events[firstRefused]?.BomId ?? ""));
        }

        if (unavailable)
        {
            http.Response.Headers.RetryAfter = BusUnavailableFilter.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return TypedResults.Ok(new PublishBatchResponse { Results = results });
    }

    private static async Task<PublishBatchResult> PublishItemAsync(
        EnrichmentEventBus bus, PublishBatchItem item, Task<PublishBatchResult>? previous, string? tokenTenant, CancellationToken cancellationToken)
    {
        if (previous is not null)
        {
            await previous; // never faults: every expected failure is a result
        }

        if (item.IdempotencyKey is { } key && !EnrichmentEventBus.IsValidIdempotencyKey(key))
        {
            return Result(ApiProblems.InvalidIdempotencyKey());
        }

        try
        {
            var outcome = await PublishOneAsync(bus, item.BomId ?? "", item, item.IdempotencyKey, tokenTenant, cancellationToken);
            return outcome.Problem is { } problem
                ? Result(problem)
                : new PublishBatchResult { Status = StatusCodes.Status202Accepted, EventId = outcome.EventId };
        }
        catch (BusUnavailableException)
        {
            // The backend logged it; the publisher retries this event (with its idempotency key).
            return Result(ApiProblems.BusUnavailable());
        }
    }

    private static PublishBatchResult Result(ProblemHttpResult problem) => new()
    {
        Status = problem.StatusCode,
        Code = problem.ProblemDetails.Extensions.TryGetValue("code", out var code) ? code as string : null,
        Detail = problem.ProblemDetails.Detail,
    };

    private static ProblemHttpResult RefuseBatch(ILoggerFactory loggerFactory, ProblemHttpResult problem) =>
        Refuse(loggerFactory, problem, "(batch)");

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
