using System.Buffers;
using System.Text;
using System.Text.Json;
using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// Splices an event id into envelope JSON serialized with an empty id. The id is only known once the log
/// accepted the event (a Redis Stream assigns it inside the publish script), and splicing avoids a second
/// serialization: the Lua script does the same concatenation.
/// </summary>
public static class EnvelopeTemplate
{
    /// <summary>How every template starts: <c>event_id</c> is the envelope's first property.</summary>
    public const string Prefix = "{\"event_id\":\"\"";

    /// <summary>Byte length of <see cref="Prefix"/>.</summary>
    public static int PrefixLength { get; } = Encoding.UTF8.GetByteCount(Prefix);

    /// <summary>The envelope JSON with <paramref name="eventId"/> spliced into the template.</summary>
    public static byte[] WithEventId(ReadOnlySpan<byte> template, string eventId)
    {
        if (!template.StartsWith("{\"event_id\":\"\""u8))
        {
            throw new ArgumentException("The template does not start with an empty event_id.", nameof(template));
        }

        // Log ids are ASCII digits and a dash: no escaping needed.
        var head = "{\"event_id\":\""u8;
        var result = new byte[template.Length + eventId.Length];
        head.CopyTo(result);
        var written = head.Length + Encoding.ASCII.GetBytes(eventId, result.AsSpan(head.Length));
        template[(PrefixLength - 1)..].CopyTo(result.AsSpan(written));
        return result;
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Writes the template of an envelope: exactly what <see cref="EnrichmentJson.SerializeEnvelope"/> writes for it
    /// with an empty <c>event_id</c> (same properties in the same order, same escaping, nulls left out), with the
    /// payload either a <see cref="JsonElement"/> or the JSON text a publisher sent (<paramref name="payloadJson"/>,
    /// already validated as one JSON value by <see cref="Utf8JsonReader"/>), which is copied token by token so that it
    /// is minified and escaped as the serializer would (never a raw newline into an SSE <c>data:</c> line).
    /// </summary>
    /// <exception cref="InvalidOperationException">A string of the payload holds an escape that is no Unicode text (a lone UTF-16 surrogate).</exception>
    /// <exception cref="ArgumentException">As <see cref="InvalidOperationException"/>, from the writer.</exception>
    internal static byte[] Build(string eventType, string bomId, string tenantId, DateTimeOffset createdAt,
        EnrichmentProgressState? state, JsonElement? payload, ReadOnlySpan<byte> payloadJson, string? error)
    {
        // One writer and buffer per thread, reused: the template is the only allocation that stays.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteString("event_id"u8, ""u8);
            writer.WriteString("event_type"u8, eventType);
            writer.WriteString("bom_id"u8, bomId);
            writer.WriteString("tenant_id"u8, tenantId);
            writer.WriteString("created_at"u8, createdAt);
            if (state is not null)
            {
                writer.WritePropertyName("state"u8);
                JsonSerializer.Serialize(writer, state, EnrichmentJsonContext.Default.EnrichmentProgressState);
            }

            if (payload is { } element)
            {
                writer.WritePropertyName("payload"u8);
                element.WriteTo(writer);
            }
            else if (!payloadJson.IsEmpty)
            {
                writer.WritePropertyName("payload"u8);
                CopyValue(payloadJson, writer);
            }

            if (error is not null)
            {
                writer.WriteString("error"u8, error);
            }

            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            // A large payload must not stay rooted by the thread.
            if (buffer.Capacity > 64 * 1024)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    /// <summary>
    /// Writes the JSON value <paramref name="json"/> (valid, one value) to <paramref name="writer"/> as
    /// <see cref="JsonElement.WriteTo"/> writes the parsed value, without parsing a document: strings and names
    /// unescaped then written (re-escaped by the writer's encoder), numbers as their text, structure tokens as they come.
    /// </summary>
    public static void CopyValue(ReadOnlySpan<byte> json, Utf8JsonWriter writer)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    writer.WriteStartObject();
                    break;
                case JsonTokenType.EndObject:
                    writer.WriteEndObject();
                    break;
                case JsonTokenType.StartArray:
                    writer.WriteStartArray();
                    break;
                case JsonTokenType.EndArray:
                    writer.WriteEndArray();
                    break;
                case JsonTokenType.PropertyName:
                    writer.WritePropertyName(Unescaped(ref reader));
                    break;
                case JsonTokenType.String:
                    writer.WriteStringValue(Unescaped(ref reader));
                    break;
                case JsonTokenType.Number:
                    writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                    break;
                case JsonTokenType.True:
                    writer.WriteBooleanValue(true);
                    break;
                case JsonTokenType.False:
                    writer.WriteBooleanValue(false);
                    break;
                case JsonTokenType.Null:
                    writer.WriteNullValue();
                    break;
            }
        }
    }

    private static ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        // Unescaping never lengthens the text; CopyString throws for a lone surrogate. Escaped text is rare in payloads.
        var target = new byte[reader.ValueSpan.Length];
        return target.AsSpan(0, reader.CopyString(target));
    }
}
