using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Server.Sse;

/// <summary>
/// Writes one stream as <c>text/event-stream</c> to one response. Events and keepalives are written into the
/// response's pipe and sent by <see cref="FlushAsync"/>, which waits without a token: an interruption cancels the
/// pending flush instead (<see cref="PipeWriter.CancelPendingFlush"/>), which allocates nothing per flush. With a
/// <see cref="MultiBomCursor"/> (the multi-BOM stream), each event's <c>id:</c> is the cursor after it.
/// </summary>
internal sealed class SseStreamSink(HttpContext http, TimeProvider time, MultiBomCursor? cursor = null) : IStreamSink
{
    private readonly PipeWriter _writer = http.Response.BodyWriter;

    /// <summary>Writes the JSON <paramref name="data"/> as one event without an id.</summary>
    public static void WriteJsonEvent<T>(PipeWriter writer, string eventName, T data, JsonTypeInfo<T> typeInfo) =>
        SseFrame.WriteEvent(writer, id: null, eventName, JsonSerializer.SerializeToUtf8Bytes(data, typeInfo));

    public ValueTask WriteEventAsync(BusEvent busEvent)
    {
        if (cursor is null)
        {
            _writer.Write(SseFrameCache.Get(busEvent));
            return ValueTask.CompletedTask;
        }

        cursor.Advance(busEvent);
        _writer.Write("id: "u8);
        cursor.WriteTo(_writer);
        _writer.Write("\n"u8);
        _writer.Write(SseFrameCache.GetWithoutId(busEvent));
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteBomEndAsync(string bomId, string reason)
    {
        WriteEnd(bomId, reason);
        return ValueTask.CompletedTask;
    }

    public void WriteKeepAlive() =>
        WriteJsonEvent(_writer, EnrichmentEventNames.KeepAlive, new KeepAliveEvent { Timestamp = time.GetUtcNow() },
            EnrichmentJsonContext.Default.KeepAliveEvent);

    public async ValueTask FlushAsync() => await _writer.FlushAsync(CancellationToken.None); // interrupted, not cancelled

    public async ValueTask<bool> WriteEndAsync(IReadOnlyList<string> bomIds, string reason, CancellationToken cancellationToken)
    {
        foreach (var bomId in bomIds)
        {
            WriteEnd(bomId, reason);
        }

        var flushed = await _writer.FlushAsync(cancellationToken);
        if (flushed.IsCanceled)
        {
            // An interruption that came after the pump's last flush (CancelPendingFlush cancels the next one).
            flushed = await _writer.FlushAsync(cancellationToken);
        }

        return !flushed.IsCanceled;
    }

    public void Interrupt() => _writer.CancelPendingFlush();

    public void Abort() => http.Abort();

    private void WriteEnd(string bomId, string reason) =>
        WriteJsonEvent(_writer, EnrichmentEventNames.StreamEnd, new StreamEndEvent { BomId = bomId, Reason = reason },
            EnrichmentJsonContext.Default.StreamEndEvent);
}
