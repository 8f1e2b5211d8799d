using System.Buffers;
using System.Runtime.CompilerServices;
using NotificationHub.Bus;

namespace NotificationHub.Server.Sse;

/// <summary>
/// The SSE frame of a bus event, framed once and shared by every local subscriber of its BOM (fan-out writes the
/// same bytes to each response instead of re-encoding the id, name and data per connection). Entries live as long
/// as the event does.
/// </summary>
public static class SseFrameCache
{
    private static readonly ConditionalWeakTable<BusEvent, byte[]> Frames = [];

    /// <summary>The complete frame (<c>id:</c>, <c>event:</c>, <c>data:</c> lines and the blank line) of <paramref name="busEvent"/>.</summary>
    public static byte[] Get(BusEvent busEvent) =>
        Frames.GetValue(busEvent, static e =>
        {
            var buffer = new ArrayBufferWriter<byte>(e.Json.Length + 64);
            SseFrame.WriteEvent(buffer, e.EventId, e.EventType, e.Json.Span);
            return buffer.WrittenSpan.ToArray();
        });
}
