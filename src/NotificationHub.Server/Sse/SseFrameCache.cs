using System.Buffers;
using NotificationHub.Bus;

namespace NotificationHub.Server.Sse;

/// <summary>
/// The SSE frame of a bus event, framed once and shared by every local subscriber of its BOM (fan-out writes the
/// same bytes to each response instead of re-encoding the id, name and data per connection). The frame is kept on
/// the event (<see cref="BusEvent.GetEncoding{T}"/>) and goes with it.
/// </summary>
public static class SseFrameCache
{
    private static readonly BusEventEncoding<byte[]> Encoding = new(static e =>
    {
        var buffer = new ArrayBufferWriter<byte>(e.Json.Length + 64);
        SseFrame.WriteEvent(buffer, e.EventId, e.EventType, e.Json.Span);
        return buffer.WrittenSpan.ToArray();
    });

    /// <summary>The complete frame (<c>id:</c>, <c>event:</c>, <c>data:</c> lines and the blank line) of <paramref name="busEvent"/>.</summary>
    public static byte[] Get(BusEvent busEvent) => busEvent.GetEncoding(Encoding);

    /// <summary>
    /// The frame of <paramref name="busEvent"/> without its <c>id:</c> line, for a stream that writes its own id (the
    /// multi-BOM stream's cursor): a slice of the same shared frame, which starts with <c>id: {event_id}\n</c>.
    /// </summary>
    public static ReadOnlySpan<byte> GetWithoutId(BusEvent busEvent) =>
        Get(busEvent).AsSpan("id: "u8.Length + System.Text.Encoding.UTF8.GetByteCount(busEvent.EventId) + 1);
}
