using System.Buffers;
using System.Globalization;
using System.Text;

namespace NotificationHub.Server.Sse;

/// <summary>
/// WHATWG <c>text/event-stream</c> framing. Field values of <c>id</c> and <c>event</c> are single lines by
/// construction (a CR or LF would let a value inject fields, so it is refused); <c>data</c> is split into one
/// <c>data:</c> line per line, as the spec's parser joins them back with LF.
/// </summary>
public static class SseFrame
{
    /// <summary>Writes one event: optional <c>id:</c>, <c>event:</c>, the data lines, and the blank line that dispatches it.</summary>
    /// <exception cref="ArgumentException">The id or event name contains CR or LF.</exception>
    public static void WriteEvent(IBufferWriter<byte> writer, string? id, string eventName, ReadOnlySpan<byte> data)
    {
        if (id is not null)
        {
            EnsureSingleLine(id, nameof(id));
            WriteField(writer, "id: "u8, id);
        }

        EnsureSingleLine(eventName, nameof(eventName));
        WriteField(writer, "event: "u8, eventName);
        WriteData(writer, data);
        writer.Write("\n"u8);
    }

    /// <summary>Writes <c>retry:</c> in milliseconds.</summary>
    public static void WriteRetry(IBufferWriter<byte> writer, TimeSpan retry) =>
        WriteField(writer, "retry: "u8, ((long)retry.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));

    private static void WriteData(IBufferWriter<byte> writer, ReadOnlySpan<byte> data)
    {
        // CRLF, CR and LF all end a line for the parser; each line becomes its own data: field.
        while (true)
        {
            var end = data.IndexOfAny((byte)'\r', (byte)'\n');
            writer.Write("data: "u8);
            if (end < 0)
            {
                writer.Write(data);
                writer.Write("\n"u8);
                return;
            }

            writer.Write(data[..end]);
            writer.Write("\n"u8);
            var skip = data[end] == '\r' && end + 1 < data.Length && data[end + 1] == '\n' ? 2 : 1;
            data = data[(end + skip)..];
        }
    }

    private static void WriteField(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, string value)
    {
        writer.Write(name);
        var span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        var written = Encoding.UTF8.GetBytes(value, span);
        writer.Advance(written);
        writer.Write("\n"u8);
    }

    private static void EnsureSingleLine(string value, string paramName)
    {
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("SSE field values must not contain CR or LF.", paramName);
        }
    }
}
