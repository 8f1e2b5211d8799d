using System.Buffers;
using System.Text.Json;
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
    IOptions<SseOptions> sseOptions,
    IOptions<AuthOptions> authOptions,
    TimeProvider time,
    TransportMetrics metrics,
    IHostApplicationLifetime host,
    ILogger<SseHandler> logger)
{
    /// <summary>Query fallback for <c>Last-Event-ID</c>, for EventSource polyfills that cannot set headers.</summary>
    public const string LastEventIdQueryParameter = "last_event_id";

    /// <summary>Serves one stream until it ends or the client leaves.</summary>
    public async Task HandleAsync(HttpContext http, string bomId)
    {
        var cancel = http.RequestAborted;
        if (!BomIds.IsValid(bomId))
        {
            await RefuseAsync(http, ApiProblems.InvalidBomId(), bomId);
            return;
        }

        var tenantId = http.User.GetTenantId(authOptions.Value.TenantClaim);
        if (tenantId is null)
        {
            await RefuseAsync(http, ApiProblems.Forbidden("The token names no tenant."), bomId);
            return;
        }

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
            WriteJsonEvent(writer, EnrichmentEventNames.Connected,
                new ConnectedEvent { BomId = bomId, Recovered = stream.Recovered }, EnrichmentJsonContext.Default.ConnectedEvent);

            var expiresAt = http.User.GetExpiry() ?? DateTimeOffset.MaxValue;
            string? reason;
            using (var signals = new SseStreamSignals(stream, writer, time, sseOptions.Value.KeepAliveInterval, expiresAt, cancel, host.ApplicationStopping))
            {
                try
                {
                    reason = await PumpAsync(stream, writer, signals, cancel);
                }
                catch (SlowConsumerException)
                {
                    reason = StreamEndReasons.SlowConsumer;
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    reason = null; // the client left
                }
            }

            if (reason is not null && !await TryEndAsync(http, writer, bomId, reason))
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

    /// <summary>
    /// Writes <c>stream_end</c>, waiting at most <see cref="SseOptions.StreamEndWriteTimeout"/> for the client to take
    /// it; a client that does not read (a slow consumer, or anyone at shutdown) is then disconnected, so neither
    /// its connection nor its buffered bytes outlive the stream. False when it had to be aborted.
    /// </summary>
    private async Task<bool> TryEndAsync(HttpContext http, System.IO.Pipelines.PipeWriter writer, string bomId, string reason)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        timeout.CancelAfter(sseOptions.Value.StreamEndWriteTimeout);
        try
        {
            WriteJsonEvent(writer, EnrichmentEventNames.StreamEnd,
                new StreamEndEvent { BomId = bomId, Reason = reason }, EnrichmentJsonContext.Default.StreamEndEvent);
            var flushed = await writer.FlushAsync(timeout.Token);
            if (flushed.IsCanceled)
            {
                // An interruption that came after the pump's last flush (CancelPendingFlush cancels the next one).
                flushed = await writer.FlushAsync(timeout.Token);
            }

            return !flushed.IsCanceled;
        }
        catch (OperationCanceledException)
        {
            http.Abort();
            return false;
        }
    }

    /// <summary>
    /// Writes events as they come and keepalives when due; returns the <c>stream_end</c> reason, or null when the
    /// client left. Waits without a token: <see cref="SseStreamSignals"/> wakes it (and cancels a blocked flush).
    /// </summary>
    private async Task<string?> PumpAsync(EnrichmentStream stream, System.IO.Pipelines.PipeWriter writer, SseStreamSignals signals, CancellationToken aborted)
    {
        while (true)
        {
            while (stream.TryRead(out var busEvent))
            {
                writer.Write(SseFrameCache.Get(busEvent));
                if (stream.Ended)
                {
                    await writer.FlushAsync(CancellationToken.None); // interrupted by the signals, not a token
                    return aborted.IsCancellationRequested ? null : StreamEndReasons.ForTerminal(busEvent.EventType);
                }
            }

            if (signals.TakeKeepAlive())
            {
                WriteJsonEvent(writer, EnrichmentEventNames.KeepAlive,
                    new KeepAliveEvent { Timestamp = time.GetUtcNow() }, EnrichmentJsonContext.Default.KeepAliveEvent);
            }

            await writer.FlushAsync(CancellationToken.None); // interrupted by the signals, not a token
            if (aborted.IsCancellationRequested)
            {
                return null;
            }

            if (stream.CutOffToken.IsCancellationRequested)
            {
                return StreamEndReasons.SlowConsumer; // cut off while a write was blocked on a client that does not read
            }

            if (host.ApplicationStopping.IsCancellationRequested)
            {
                return StreamEndReasons.ServerShutdown; // draining: the client reconnects (elsewhere) with its Last-Event-ID
            }

            if (signals.Expired)
            {
                return StreamEndReasons.TokenExpired;
            }

            await stream.WaitToReadAsync(CancellationToken.None); // woken by the signals; throws SlowConsumerException when cut off
        }
    }

    private static void WriteJsonEvent<T>(System.IO.Pipelines.PipeWriter writer, string eventName, T data,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo) =>
        SseFrame.WriteEvent(writer, id: null, eventName, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo));

    private Task RefuseAsync(HttpContext http, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult problem, string bomId)
    {
        SseLog.Refused(logger, problem.StatusCode, problem.ProblemDetails.Type ?? "", ApiProblems.ForLog(bomId));
        return problem.ExecuteAsync(http);
    }
}
