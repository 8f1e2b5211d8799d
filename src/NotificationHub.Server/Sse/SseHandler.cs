using System.Text.Json.Serialization.Metadata;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Features.Authentication;
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
/// A stream's request lives as long as the stream, and so would every frame of the request pipeline suspended under
/// it. The endpoints (<see cref="HandleAsync"/>, <see cref="HandleMultiAsync"/>) therefore only open the stream, inside
/// the whole pipeline (exception handler, CORS, authentication, authorization: every refusal is the pipeline's own), and
/// hand it over (<see cref="SseOpenedStream"/>); <see cref="ServeAsync"/>, the first middleware, serves it after the
/// pipeline returned, with the request's DI scope and authentication state released. The endpoints are mapped without
/// the API group's endpoint filters and parameter binders: they validate the BOM id, read the tenant and answer a bus
/// outage themselves, before the response starts, exactly as the filters would; and they take the connection limits'
/// lease themselves (<see cref="ConnectionLimiter"/>), held by the opened stream for its life.
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
    IServiceProvider services,
    ILogger<SseHandler> logger)
{
    private static readonly KeyValuePair<string, object?> SseTransport = new(TransportMetrics.TransportTag, "sse");

    /// <summary>Query fallback for <c>Last-Event-ID</c>, for EventSource polyfills that cannot set headers.</summary>
    public const string LastEventIdQueryParameter = "last_event_id";

    /// <summary>
    /// The stream endpoint: opens one BOM's stream and hands it over to <see cref="ServeAsync"/>, or answers why not.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="bomId">The route's BOM id, not validated yet.</param>
    public async Task HandleAsync(HttpContext http, string bomId)
    {
        var lease = await AcquireAsync(http);
        if (lease is null)
        {
            return;
        }

        SseOpenedStream? opened = null;
        try
        {
            if (!BomIds.IsValid(bomId))
            {
                await RefuseAsync(http, ApiProblems.InvalidBomId(), bomId);
                return;
            }

            var tenantId = Tenant(http);
            var lastEventId = LastEventId(http);

            // Redis down: 503 with Retry-After before the response starts; EventSource retries after its retry
            // interval, by then perhaps on a healthy node.
            OpenStreamStatus status;
            EnrichmentStream? stream;
            try
            {
                (status, stream) = await bus.OpenStreamAsync(bomId, tenantId, lastEventId, http.RequestAborted);
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

            opened = new SseOpenedStream(stream!, lease, new SseStreamSink(http, time), Expiry(http), bomId);
            lease = null; // the opened stream's now
            SseLog.Opened(logger, bomId, tenantId, lastEventId, stream!.Recovered);
            HandOver(http, opened, new ConnectedEvent { BomId = bomId, Recovered = stream.Recovered }, EnrichmentJsonContext.Default.ConnectedEvent);
            opened = null; // ServeAsync's now
        }
        finally
        {
            lease?.Dispose();
            if (opened is not null)
            {
                await opened.DisposeAsync(); // failed before the hand-over
            }
        }
    }

    /// <summary>
    /// The multi-BOM stream endpoint <c>GET /api/enrichment/stream?bom_id=a&amp;bom_id=b…</c> (docs/protocol.md §3.4):
    /// each BOM opened exactly as its own stream, handed over as one, served through the same pump, with a
    /// <see cref="MultiBomCursor"/> as every event's id.
    /// </summary>
    /// <param name="http">The request.</param>
    public async Task HandleMultiAsync(HttpContext http)
    {
        var lease = await AcquireAsync(http);
        if (lease is null)
        {
            return;
        }

        SseOpenedStream? opened = null;
        try
        {
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

            opened = new SseOpenedStream(new MultiBomStream(streams, waiter), lease, new SseStreamSink(http, time, cursor), Expiry(http), bomList);
            lease = null; // the opened stream's now
            SseLog.Opened(logger, bomList, tenantId, lastEventId, boms.All(b => b.Recovered));
            HandOver(http, opened, new MultiBomConnectedEvent { Boms = boms }, EnrichmentJsonContext.Default.MultiBomConnectedEvent);
            opened = null; // ServeAsync's now
        }
        finally
        {
            lease?.Dispose();
            if (opened is not null)
            {
                await opened.DisposeAsync(); // failed before the hand-over
            }
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
    /// The first middleware, for a request routed to a stream endpoint: runs the rest of the pipeline (the exception
    /// handler, CORS, authentication, authorization, the endpoint), which answers every refusal exactly as for any
    /// other endpoint; once it has returned, serves the stream its endpoint opened, if any, until it ends or the client
    /// leaves. An idle stream holds this frame and the pump's, no middleware's.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="pipeline">The rest of the request pipeline.</param>
    internal async Task ServeAsync(HttpContext http, RequestDelegate pipeline)
    {
        try
        {
            await pipeline(http);
        }
        catch when (http.Features.Get<SseOpenedStream>() is { } orphan)
        {
            // Nothing after the endpoint throws today; if something did, the lease must not be held forever.
            http.Features.Set<SseOpenedStream>(null);
            await orphan.DisposeAsync();
            throw;
        }

        if (http.Features.Get<SseOpenedStream>() is not { } opened)
        {
            return; // refused, 204, or a preflight: answered by the pipeline
        }

        await using (opened)
        {
            await ReleaseRequestStateAsync(http);
            metrics.OpenConnections.Add(1, SseTransport);
            try
            {
                Ended(http, opened.BomIds, await pump.RunAsync(opened.Stream, opened.Sink, keepAlive: true, opened.ExpiresAt,
                    http.RequestAborted, host.ApplicationStopping));
            }
            finally
            {
                metrics.OpenConnections.Add(-1, SseTransport);
            }
        }
    }

    /// <summary>
    /// Writes the response head, <c>retry:</c> and <c>connected</c> (the response starts: what fails from here on
    /// cannot be answered with a status anyway) and hands the stream over to <see cref="ServeAsync"/>.
    /// </summary>
    private void HandOver<T>(HttpContext http, SseOpenedStream opened, T connected, JsonTypeInfo<T> connectedType)
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

        // The authentication result is read (nothing after the endpoint reads it); let go of it before the
        // hand-over's feature is added, so that the request's list of extra features does not grow for it.
        http.Features.Set<IAuthenticateResultFeature>(null);
        http.Features.Set<IAuthenticationFeature>(null);
        http.Features.Set(opened);
    }

    /// <summary>
    /// Lets go of what the pipeline left on the request and the stream does not use: the request's DI scope (the
    /// authentication handler provider and JwtBearer's handler, the policy evaluator), the principal (the stream has
    /// read what it needs of it: tenant, subject, expiry; the authentication result went at the hand-over), and the
    /// item dictionary CORS and authorization marked. The stream resolves nothing per request from here on: its services are singletons.
    /// </summary>
    private async ValueTask ReleaseRequestStateAsync(HttpContext http)
    {
        var features = http.Features;
        features.Set<SseOpenedStream>(null);
        if (features.Get<IServiceProvidersFeature>() is IAsyncDisposable scope)
        {
            await scope.DisposeAsync();
        }

        http.RequestServices = services;
        features.Set<IHttpAuthenticationFeature>(null);
        features.Set<IItemsFeature>(null);
    }

    // The token's expiry: the stream ends with token_expired then.
    private static DateTimeOffset Expiry(HttpContext http) => http.User.GetExpiry() ?? DateTimeOffset.MaxValue;

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
