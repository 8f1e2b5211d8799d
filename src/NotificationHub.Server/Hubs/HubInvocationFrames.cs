using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using MessagePack;
using NotificationHub.Bus;
using NotificationHub.MessagePackInterop;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The framed <c>EnrichmentEvent</c> invocation of an event, built straight from its envelope's UTF-8 JSON: the
/// bytes SignalR's <c>JsonHubProtocol</c> and <c>MessagePackHubProtocol</c> write for
/// <c>new InvocationMessage("EnrichmentEvent", [new EnrichmentHubEvent(type, id, envelope)])</c> (no headers, no
/// invocation id, no stream ids; see the hub protocol spec), without parsing the envelope into a
/// <see cref="JsonDocument"/> per event (issue #15 item 4). <c>SerializedHubEventsTests</c> holds them byte-identical.
/// </summary>
internal static class HubInvocationFrames
{
    // JSON protocol messages end with the ASCII record separator.
    private const byte RecordSeparator = 0x1e;

    // One buffer and writer per thread, reused: the returned frame is the only allocation that stays.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    // The JSON hub protocol's writer escapes with the relaxed encoder (non-ASCII and HTML characters as they are).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// <c>{"type":1,"target":"EnrichmentEvent","arguments":[{"event":…,"id":…,"data":envelope}]}</c> and the record
    /// separator. The bus's envelopes are minified JSON written with the default encoder (<see cref="EnvelopeTemplate"/>),
    /// so one without a backslash is exactly what the protocol's relaxed writer makes of it and goes in as it is; one
    /// with an escape is copied token by token through that writer, which re-escapes its strings as the protocol does.
    /// (A contract envelope an outside publisher wrote to the Redis channel with whitespace keeps it here, as it does in
    /// the SSE <c>data:</c> line: the channel passes such envelopes through byte for byte.)
    /// </summary>
    public static byte[] Json(string eventType, string? eventId, ReadOnlySpan<byte> envelope)
    {
        var buffer = Buffer();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteNumber("type"u8, 1);
        writer.WriteString("target"u8, EnrichmentHub.EventMethod);
        writer.WriteStartArray("arguments"u8);
        writer.WriteStartObject();
        writer.WriteString("event"u8, eventType);
        writer.WriteString("id"u8, eventId);
        writer.WritePropertyName("data"u8);
        if (envelope.IndexOf((byte)'\\') < 0)
        {
            writer.WriteRawValue(envelope, skipInputValidation: true);
        }
        else
        {
            EnvelopeTemplate.CopyValue(envelope, writer);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();

        var frame = new byte[buffer.WrittenCount + 1];
        buffer.WrittenSpan.CopyTo(frame);
        frame[^1] = RecordSeparator;
        Release(buffer);
        return frame;
    }

    /// <summary>
    /// The varint length prefix and <c>[1, {}, nil, "EnrichmentEvent", [{"event":…,"id":…,"data":…}], []]</c>, the
    /// data converted value by value from the envelope JSON by <see cref="MessagePackJson"/> as the hub's formatter does.
    /// </summary>
    public static byte[] MessagePack(string eventType, string? eventId, ReadOnlySpan<byte> envelope)
    {
        var buffer = Buffer();
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(6);
        writer.Write(1); // invocation
        writer.WriteMapHeader(0); // headers
        writer.WriteNil(); // invocation id
        writer.Write(EnrichmentHub.EventMethod);
        writer.WriteArrayHeader(1);
        writer.WriteMapHeader(3);
        writer.WriteString("event"u8);
        writer.Write(eventType);
        writer.WriteString("id"u8);
        writer.Write(eventId);
        writer.WriteString("data"u8);
        MessagePackJson.Write(ref writer, envelope);
        writer.WriteArrayHeader(0); // stream ids
        writer.Flush();

        // Binary hub messages are prefixed with their length, 7 bits per byte, least significant first.
        var length = buffer.WrittenCount;
        var prefix = 1;
        for (var rest = length >> 7; rest > 0; rest >>= 7)
        {
            prefix++;
        }

        var frame = new byte[prefix + length];
        var value = length;
        for (var i = 0; i < prefix; i++)
        {
            frame[i] = (byte)((value & 0x7f) | (i < prefix - 1 ? 0x80 : 0));
            value >>= 7;
        }

        buffer.WrittenSpan.CopyTo(frame.AsSpan(prefix));
        Release(buffer);
        return frame;
    }

    private static ArrayBufferWriter<byte> Buffer()
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        return buffer;
    }

    // A large event must not stay rooted by the thread.
    private static void Release(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > 64 * 1024)
        {
            t_buffer = null;
            t_writer = null;
        }
    }
}
