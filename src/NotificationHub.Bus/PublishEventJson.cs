using System.Text.Json;
using NotificationHub.Contracts;

namespace NotificationHub.Bus;

/// <summary>
/// A <see cref="PublishEventRequest"/> read straight from its UTF-8 JSON body (the HTTP publishing API): the same
/// fields, except that the payload stays the body's own JSON text, which <see cref="EnrichmentEventBus"/> copies into
/// the envelope token by token. Nothing is parsed into a <see cref="JsonDocument"/> and cloned, nor serialized twice.
/// </summary>
/// <remarks>
/// A ref struct: <see cref="Payload"/> points into the request body, which is only valid until the caller releases it,
/// so the bus builds the envelope from it before its first <c>await</c>.
/// </remarks>
public ref struct PublishEventJson
{
    /// <summary>As <see cref="PublishEventRequest.EventType"/>.</summary>
    public string? EventType { readonly get; set; }

    /// <summary>As <see cref="PublishEventRequest.TenantId"/>.</summary>
    public string? TenantId { readonly get; set; }

    /// <summary>As <see cref="PublishEventRequest.State"/>.</summary>
    public EnrichmentProgressState? State { readonly get; set; }

    /// <summary>The payload's JSON text as sent (any JSON value), or empty when absent or <c>null</c>.</summary>
    public ReadOnlySpan<byte> Payload { readonly get; set; }

    /// <summary>As <see cref="PublishEventRequest.Error"/>.</summary>
    public string? Error { readonly get; set; }

    /// <summary>
    /// Reads a request body with the serializer's rules for <see cref="PublishEventRequest"/>: one JSON object,
    /// case-sensitive property names, unknown properties ignored, the last of duplicate properties wins, an optional
    /// UTF-8 byte order mark, no comments, nothing after the object.
    /// </summary>
    /// <param name="utf8Json">The body.</param>
    /// <param name="request">The request; default when the body is the JSON literal <c>null</c>.</param>
    /// <returns>False when the body is <c>null</c>.</returns>
    /// <exception cref="JsonException">The body is not such an object (the message says why).</exception>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out PublishEventJson request)
    {
        request = default;
        if (utf8Json.StartsWith("\uFEFF"u8))
        {
            utf8Json = utf8Json[3..];
        }

        var reader = new Utf8JsonReader(utf8Json);
        if (!reader.Read())
        {
            throw new JsonException("The input does not contain any JSON tokens.");
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            EnsureEnd(ref reader);
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"The JSON value is a {reader.TokenType}, not an object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("event_type"u8))
            {
                request.EventType = ReadString(ref reader, "event_type");
            }
            else if (reader.ValueTextEquals("tenant_id"u8))
            {
                request.TenantId = ReadString(ref reader, "tenant_id");
            }
            else if (reader.ValueTextEquals("state"u8))
            {
                reader.Read();
                request.State = JsonSerializer.Deserialize(ref reader, EnrichmentJsonContext.Default.EnrichmentProgressState);
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var isNull = reader.TokenType == JsonTokenType.Null;
                reader.Skip();
                request.Payload = isNull ? default : utf8Json[start..(int)reader.BytesConsumed];
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                request.Error = ReadString(ref reader, "error");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);
        return true;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string name)
    {
        reader.Read();
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
        {
            throw new JsonException($"The JSON value of '{name}' is a {reader.TokenType}, not a string.");
        }

        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException ex)
        {
            // An escape that is no Unicode text (a lone UTF-16 surrogate), as the serializer reports it.
            throw new JsonException($"The JSON value of '{name}' is not valid text: {ex.Message}", ex);
        }
    }

    // The reader throws for anything but whitespace after the root value (it reads one value only).
    private static void EnsureEnd(ref Utf8JsonReader reader) => reader.Read();
}
