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

    // Timers accept at most ~49 days; a token that lives longer is closed by then and the client reconnects.
    private static readonly TimeSpan MaxStreamLifetime = TimeSpan.FromDays(30);

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

        OpenStreamStatus status;
        EnrichmentStream? stream;
        try
        {
            (status, stream) = await bus.OpenStreamAsync(bomId, tenantId, lastEventId, cancel);
        }
        catch (BusUnavailableException)
        {
            // Redis is down: EventSource retries after its retry interval, by then perhaps on a healthy node.
            await RefuseAsync(http, ApiProblems.BusUnavailable(), bomId);
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

            var untilExpiry = (http.User.GetExpiry() ?? DateTimeOffset.MaxValue) - time.GetUtcNow();
            using var expiry = new CancellationTokenSource(
                untilExpiry < TimeSpan.Zero ? TimeSpan.Zero : untilExpiry > MaxStreamLifetime ? MaxStreamLifetime : untilExpiry, time);
            using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancel, expiry.Token, host.ApplicationStopping, stream.CutOffToken);

            string? reason;
            try
            {
                reason = await PumpAsync(stream, writer, lifetime.Token);
            }
            catch (OperationCanceledException) when (stream.CutOffToken.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                // Cut off while a write was blocked on a client that does not read.
                reason = StreamEndReasons.SlowConsumer;
            }
            catch (OperationCanceledException) when (host.ApplicationStopping.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                // Draining: the client reconnects (to another node) with its Last-Event-ID.
                reason = StreamEndReasons.ServerShutdown;
            }
            catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                reason = StreamEndReasons.TokenExpired;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                reason = null; // the client left
            }
            catch (SlowConsumerException)
            {
                reason = StreamEndReasons.SlowConsumer;
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
            return !flushed.IsCanceled;
        }
        catch (OperationCanceledException)
        {
            http.Abort();
            return false;
        }
    }

    /// <summary>Writes events as they come and keepalives when idle; returns the <c>stream_end</c> reason.</summary>
    private async Task<string> PumpAsync(EnrichmentStream stream, System.IO.Pipelines.PipeWriter writer, CancellationToken cancel)
    {
        using var keepAlive = new PeriodicTimer(sseOptions.Value.KeepAliveInterval, time);
        Task<bool>? nextEvent = null, nextTick = null;
        while (true)
        {
            while (stream.TryRead(out var busEvent))
            {
                writer.Write(SseFrameCache.Get(busEvent));
                if (stream.Ended)
                {
                    await writer.FlushAsync(cancel);
                    return StreamEndReasons.ForTerminal(busEvent.EventType);
                }
            }

            await writer.FlushAsync(cancel);
            nextEvent ??= stream.WaitToReadAsync(cancel).AsTask();
            nextTick ??= keepAlive.WaitForNextTickAsync(cancel).AsTask();
            var done = await Task.WhenAny(nextEvent, nextTick);
            if (done == nextTick)
            {
                nextTick = null;
                await done; // throws when cancelled
                WriteJsonEvent(writer, EnrichmentEventNames.KeepAlive,
                    new KeepAliveEvent { Timestamp = time.GetUtcNow() }, EnrichmentJsonContext.Default.KeepAliveEvent);
            }
            else
            {
                nextEvent = null;
                await done; // throws SlowConsumerException or on cancellation
            }
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
