using System.Text.Json.Serialization.Metadata;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;
using NotificationHub.Server.Observability;
using NotificationHub.Server.RateLimiting;

namespace NotificationHub.Server.Sse;

/// <summary>
/// <c>GET /api/enrichment/stream/{bom_id}?token=JWT</c>: one BOM's events as WHATWG Server-Sent Events (and the
/// multi-BOM stream, <see cref="HandleMultiAsync"/>).
/// Order on the wire: <c>retry:</c>, <c>connected</c>, the replay after <c>Last-Event-ID</c> (or the snapshot),
/// live events, and <c>stream_end</c> after the terminal event, at token expiry or when cut off as a slow consumer.
/// </summary>
/// <remarks>
/// A stream's request lives as long as the stream, and so does every frame of the request pipeline suspended under
/// it; the stream endpoints are therefore mapped without the API group's endpoint filters and parameter binders
/// (each one an async state machine held per connection, docs/benchmarks.md): this handler validates the BOM id,
/// reads the tenant and answers a bus outage itself, before the response starts, exactly as the filters would; and
/// it holds the connection limits' lease itself (<see cref="ConnectionLimiter"/>), where ASP.NET Core's rate-limiting
/// middleware would hold its own state machine and lease wrapper around it for the stream's life.
/// </remarks>
public sealed class SseHandler(
    EnrichmentEventBus bus,
    StreamPump pump,
    IOptions<SseOptions> sseOptions,
    IOptions<StreamOptions> streamOptions,
    IOptions<AuthOptions> authOptions,
    ConnectionLimiter limiter,
    TimeProvider time,
    TransportMetrics metrics,
    IHostApplicationLifetime host,
    ILogger<SseHandler> logger)
{
    private static readonly KeyValuePair<string, object?> SseTransport = new(TransportMetrics.TransportTag, "sse");

    /// <summary>Query fallback for <c>Last-Event-ID</c>, for EventSource polyfills that cannot set headers.</summary>
    public const string LastEventIdQueryParameter = "last_event_id";

    /// <summary>Serves one stream until it ends or the client leaves.</summary>
    /// <param name="http">The request.</param>
    /// <param name="bomId">The route's BOM id, not validated yet.</param>
    public async Task HandleAsync(HttpContext http, string bomId)
    {
        using var lease = await AcquireAsync(http);
        if (lease is null)
        {
            return;
        }

        if (!BomIds.IsValid(bomId))
        {
            await RefuseAsync(http, ApiProblems.InvalidBomId(), bomId);
            return;
        }

        var tenantId = Tenant(http);
        var cancel = http.RequestAborted;
        var lastEventId = LastEventId(http);

        // Redis down: 503 with Retry-After before the response starts; EventSource retries after its retry
        // interval, by then perhaps on a healthy node.
        OpenStreamStatus status;
        EnrichmentStream? stream;
        try
        {
            (status, stream) = await bus.OpenStreamAsync(bomId, tenantId, lastEventId, cancel);
        }
        catch (BusUnavailableException)
        {
            await BusUnavailableFilter.Answer(http.Response).ExecuteAsync(http);
            return;
        }

        if (status == OpenStreamStatus.NotFound)
        {
            await RefuseAsync(http, ApiProblems.BomNotFound(), bomId);
            return;
        }

        if (status == OpenStreamStatus.AlreadyEnded)
        {
            // By the spec, 204 makes EventSource stop reconnecting: the client already has the terminal event.
            http.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        await using (stream)
        {
            SseLog.Opened(logger, bomId, tenantId, lastEventId, stream!.Recovered);
            metrics.OpenConnections.Add(1, SseTransport);
            try
            {
                Ended(http, bomId, await ServeAsync(http, stream, new ConnectedEvent { BomId = bomId, Recovered = stream.Recovered },
                    EnrichmentJsonContext.Default.ConnectedEvent, new SseStreamSink(http, time)));
            }
            finally
            {
                metrics.OpenConnections.Add(-1, SseTransport);
            }
        }
    }

    /// <summary>
    /// Serves the multi-BOM stream <c>GET /api/enrichment/stream?bom_id=a&amp;bom_id=b…</c> (docs/protocol.md §3.4):
    /// each BOM exactly as its own stream, through the same pump, with a <see cref="MultiBomCursor"/> as every event's id.
    /// </summary>
    /// <param name="http">The request.</param>
    public async Task HandleMultiAsync(HttpContext http)
    {
        using var lease = await AcquireAsync(http);
        if (lease is null)
        {
            return;
        }

        var tenantId = Tenant(http);
        var cancel = http.RequestAborted;
        var maxBoms = sseOptions.Value.MaxBomsPerStream;
        var bomIds = new List<string>();
        foreach (var requested in http.Request.Query["bom_id"])
        {
            if (requested is null || !BomIds.IsValid(requested))
            {
                await RefuseAsync(http, ApiProblems.InvalidBomId(), requested ?? "");
                return;
            }

            if (!bomIds.Contains(requested))
            {
                bomIds.Add(requested); // a repeated id keeps its first place
            }

            if (bomIds.Count > maxBoms)
            {
                await RefuseAsync(http, ApiProblems.InvalidBomId($"A stream watches 1 to {maxBoms} BOMs (bom_id=...&bom_id=...)."), string.Join(',', bomIds));
                return;
            }
        }

        if (bomIds.Count == 0)
        {
            await RefuseAsync(http, ApiProblems.InvalidBomId($"A stream watches 1 to {maxBoms} BOMs (bom_id=...&bom_id=...)."), "");
            return;
        }

        var bomList = string.Join(',', bomIds);

        var lastEventId = LastEventId(http);
        var cursor = new MultiBomCursor(bomIds);
        if (lastEventId is not null && !MultiBomCursor.TryParse(lastEventId, bomIds, MultiBomCursor.MaxLength(maxBoms), out cursor))
        {
            await RefuseAsync(http, ApiProblems.InvalidCursor(), bomList);
            return;
        }

        // Each BOM opened as its own stream would be (ownership, replay or snapshot, the 204 case), all at once: a
        // reconnect waits for the slowest BOM's round trips, not for the sum of them. One BOM that is unknown or another
        // tenant's refuses the whole request with the single-BOM stream's 404, not saying which.
        var waiter = new StreamWaiter(); // one wait for every BOM of the stream
        var opening = new Task<(OpenStreamStatus Status, EnrichmentStream? Stream)>[bomIds.Count];
        for (var i = 0; i < bomIds.Count; i++)
        {
            opening[i] = bus.OpenStreamAsync(bomIds[i], tenantId, cursor[i]?.ToString(), waiter, cancel).AsTask();
        }

        // Every open ends before anything is decided (what the failed ones threw is read below), so none is left behind.
        await ((Task)Task.WhenAll(opening)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        var boms = new ConnectedBom[bomIds.Count];
        var streams = new List<EnrichmentStream>(bomIds.Count);
        var notFound = false;
        Exception? failure = null;
        for (var i = 0; i < bomIds.Count; i++)
        {
            if (!opening[i].IsCompletedSuccessfully)
            {
                failure ??= opening[i].Exception?.InnerException ?? new OperationCanceledException(cancel);
                continue;
            }

            var (status, stream) = opening[i].Result;
            notFound |= status == OpenStreamStatus.NotFound;
            boms[i] = new ConnectedBom { BomId = bomIds[i], Recovered = stream?.Recovered ?? true, Ended = stream is null };
            if (stream is not null)
            {
                streams.Add(stream);
            }
        }

        if (failure is not null || notFound)
        {
            await DisposeAllAsync(streams);
            switch (failure)
            {
                case BusUnavailableException: // e.g. Redis down: 503 as the single-BOM stream answers it
                    await BusUnavailableFilter.Answer(http.Response).ExecuteAsync(http);
                    return;
                case not null:
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                    break;
            }

            await RefuseAsync(http, ApiProblems.BomNotFound(), bomList);
            return;
        }

        if (streams.Count == 0)
        {
            http.Response.StatusCode = StatusCodes.Status204NoContent; // every BOM ended at the cursor: stop reconnecting
            return;
        }

        await using var multi = new MultiBomStream(streams, waiter);
        SseLog.Opened(logger, bomList, tenantId, lastEventId, boms.All(b => b.Recovered));
        metrics.OpenConnections.Add(1, SseTransport);
        try
        {
            Ended(http, bomList, await ServeAsync(http, multi, new MultiBomConnectedEvent { Boms = boms },
                EnrichmentJsonContext.Default.MultiBomConnectedEvent, new SseStreamSink(http, time, cursor)));
        }
        finally
        {
            metrics.OpenConnections.Add(-1, SseTransport);
        }
    }

    /// <summary>
    /// The connection limits' lease for the stream's life (attempts per minute, concurrent per user and per tenant), or
    /// null after answering <c>429 rate_limited</c>; first, as the rate limiter ran before the handler.
    /// </summary>
    private async ValueTask<RateLimitLease?> AcquireAsync(HttpContext http)
    {
        var lease = limiter.AttemptAndOpen(new ConnectionOwner(Tenant(http), http.User.GetSubject()));
        if (lease.IsAcquired)
        {
            return lease;
        }

        using (lease)
        {
            await ConnectionRateLimiter.RejectAsync(http, lease);
        }

        return null;
    }

    // The tenant policy in front of the stream endpoints refused a token without one.
    private string Tenant(HttpContext http) => http.User.GetTenantId(authOptions.Value.TenantClaim)!;

    private static string? LastEventId(HttpContext http) =>
        http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header
            ? header
            : http.Request.Query[LastEventIdQueryParameter].ToString() is { Length: > 0 } query ? query : null;

    private static async ValueTask DisposeAllAsync(List<EnrichmentStream> streams)
    {
        foreach (var stream in streams)
        {
            await stream.DisposeAsync();
        }
    }

    /// <summary>
    /// Writes the response head, <c>retry:</c> and <c>connected</c>, and starts the pump; the handler awaits it in its
    /// own frame (an idle stream holds every suspended frame for its whole life).
    /// </summary>
    private Task<(string? Reason, bool EndWritten)> ServeAsync<T>(HttpContext http, IBusEventStream stream, T connected,
        JsonTypeInfo<T> connectedType, SseStreamSink sink)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx: do not buffer
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var writer = response.BodyWriter;
        SseFrame.WriteRetry(writer, sseOptions.Value.RetryInterval);
        SseStreamSink.WriteJsonEvent(writer, EnrichmentEventNames.Connected, connected, connectedType);

        return pump.RunAsync(stream, sink, keepAlive: true, http.User.GetExpiry() ?? DateTimeOffset.MaxValue,
            http.RequestAborted, host.ApplicationStopping);
    }

    private void Ended(HttpContext http, string bomIds, (string? Reason, bool EndWritten) ended)
    {
        if (ended is { Reason: StreamEndReasons.SlowConsumer, EndWritten: true }
            && !HttpProtocol.IsHttp2(http.Request.Protocol) && !HttpProtocol.IsHttp3(http.Request.Protocol))
        {
            // "Written" means taken by Kestrel's buffers, not by a client that stopped reading. Left alone, its
            // connection would linger: kept alive for the next request (130 s) once the kernel took the bytes, or held
            // by Kestrel's minimum response data rate, whose deadline grows with every byte already written (hours
            // after a burst). The connection closes after this response, and is aborted if it is still open
            // Stream:EndWriteTimeout from now (HTTP/2 shares its connection with other requests: not there).
            http.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
            http.Features.Get<Microsoft.AspNetCore.Server.Kestrel.Core.Features.IConnectionTimeoutFeature>()?
                .ResetTimeout(streamOptions.Value.EndWriteTimeout);
        }

        var reason = ended.Reason;
        if (reason is not null && !ended.EndWritten)
        {
            reason += ", stream_end not written: connection aborted";
        }

        SseLog.Ended(logger, bomIds, reason ?? "client disconnected");
    }

    private Task RefuseAsync(HttpContext http, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem, string bomId)
    {
        SseLog.Refused(logger, problem.StatusCode, problem.ProblemDetails.Type ?? "", ApiProblems.ForLog(bomId));
        return problem.ExecuteAsync(http);
    }
}
