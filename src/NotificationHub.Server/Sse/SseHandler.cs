using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using NotificationHub.Bus;
using NotificationHub.Contracts;
using NotificationHub.Server.Auth;
using NotificationHub.Server.Http;
using NotificationHub.Server.Observability;

namespace NotificationHub.Server.Sse;

/// <summary>
/// <c>GET /api/enrichment/stream/{bom_id}?token=JWT</c>: one BOM's events as WHATWG Server-Sent Events.
/// Order on the wire: <c>retry:</c>, <c>connected</c>, the replay after <c>Last-Event-ID</c> (or the snapshot),
/// live events, and <c>stream_end</c> after the terminal event, at token expiry or when cut off as a slow consumer.
/// </summary>
public sealed class SseHandler(
    EnrichmentEventBus bus,
    StreamPump pump,
    IOptions<SseOptions> sseOptions,
    TimeProvider time,
    TransportMetrics metrics,
    IHostApplicationLifetime host,
    ILogger<SseHandler> logger)
{
    /// <summary>Query fallback for <c>Last-Event-ID</c>, for EventSource polyfills that cannot set headers.</summary>
    public const string LastEventIdQueryParameter = "last_event_id";

    /// <summary>Serves one stream until it ends or the client leaves.</summary>
    /// <param name="http">The request.</param>
    /// <param name="bomId">A valid BOM id (the API group validated it).</param>
    /// <param name="tenantId">The caller's tenant (the tenant policy required it).</param>
    public async Task HandleAsync(HttpContext http, string bomId, string tenantId)
    {
        var cancel = http.RequestAborted;
        string? lastEventId = http.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header
            ? header
            : http.Request.Query[LastEventIdQueryParameter].ToString() is { Length: > 0 } query ? query : null;

        // Redis down: BusUnavailableException escapes before the response starts, and BusUnavailableFilter answers
        // 503; EventSource retries after its retry interval, by then perhaps on a healthy node.
        var (status, stream) = await bus.OpenStreamAsync(bomId, tenantId, lastEventId, cancel);

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

        var transportTag = new KeyValuePair<string, object?>(TransportMetrics.TransportTag, "sse");
        metrics.OpenConnections.Add(1, transportTag);
        await using (stream)
        try
        {
            SseLog.Opened(logger, bomId, tenantId, lastEventId, stream!.Recovered);
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no"; // nginx: do not buffer
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            var writer = response.BodyWriter;
            SseFrame.WriteRetry(writer, sseOptions.Value.RetryInterval);
            SseStreamSink.WriteJsonEvent(writer, EnrichmentEventNames.Connected,
                new ConnectedEvent { BomId = bomId, Recovered = stream.Recovered }, EnrichmentJsonContext.Default.ConnectedEvent);

            var (reason, endWritten) = await pump.RunAsync(stream, new SseStreamSink(http, bomId, time), keepAlive: true,
                http.User.GetExpiry() ?? DateTimeOffset.MaxValue, cancel, host.ApplicationStopping);
            if (reason is not null && !endWritten)
            {
                reason += ", stream_end not written: connection aborted";
            }

            SseLog.Ended(logger, bomId, reason ?? "client disconnected");
        }
        finally
        {
            metrics.OpenConnections.Add(-1, transportTag);
        }
    }

    private Task RefuseAsync(HttpContext http, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem, string bomId)
    {
        SseLog.Refused(logger, problem.StatusCode, problem.ProblemDetails.Type ?? "", ApiProblems.ForLog(bomId));
        return problem.ExecuteAsync(http);
    }
}
