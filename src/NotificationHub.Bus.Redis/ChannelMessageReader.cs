using System.Text.Json;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Bus.Redis;

/// <summary>
/// Turns a raw channel message (or a stored entry) into a <see cref="BusEvent"/>, or says why it was dropped: the
/// Redis edge of the bus, the only place that parses what outside publishers wrote. Two shapes are accepted:
/// <list type="bullet">
/// <item>the contract envelope the bus itself publishes (<c>tenant_id</c>, a log id): passed through byte for byte;</item>
/// <item>the legacy worker's message (<c>organization_id</c>, <c>enrichment.progress</c>, <c>failed_items</c>):
/// normalized to the contract and re-serialized once.</item>
/// </list>
/// Anything else (not JSON, wrong BOM, unknown type, CR/LF in an id, oversized) is dropped: a bad publisher must
/// never be able to inject SSE fields or break other subscribers.
/// </summary>
public static class ChannelMessageReader
{
    /// <summary>Reads a channel message published for <paramref name="bomId"/>.</summary>
    /// <returns>The event, or null with <paramref name="dropReason"/> set.</returns>
    public static BusEvent? TryRead(string bomId, ReadOnlyMemory<byte> message, int maxBytes, out string? dropReason)
    {
        if (message.Length > maxBytes)
        {
            dropReason = $"message of {message.Length} bytes exceeds {maxBytes}";
            return null;
        }

        try
        {
            // The bus's own envelopes (every event of our publishers, and every stored one) in one reader pass;
            // anything the pass is not sure of (another shape, a duplicate or non-string routing field, a string it
            // cannot transcode) takes the document path below, which decides exactly as before.
            if (TryReadOwnEnvelope(bomId, message) is { } own)
            {
                dropReason = null;
                return own;
            }

            using var doc = JsonDocument.Parse(message);
            return TryRead(bomId, message, doc.RootElement, out dropReason);
        }
        catch (JsonException)
        {
            dropReason = "not valid JSON";
            return null;
        }
        catch (InvalidOperationException)
        {
            // A routing string with an escape that is no Unicode text ("\ud800"): it threw out of the reader before.
            dropReason = "a string is not Unicode text";
            return null;
        }
    }

    /// <summary>
    /// The document path's fast case without a <see cref="JsonDocument"/>: a JSON object whose <c>event_type</c> is a
    /// contract name, whose <c>bom_id</c> is the channel's, and whose <c>tenant_id</c> and <c>event_id</c> (a log id)
    /// are safe tokens, each present once as a string. Null when the message is not such an envelope.
    /// </summary>
    /// <exception cref="JsonException">The message is not valid JSON (the document path would throw the same).</exception>
    private static BusEvent? TryReadOwnEnvelope(string bomId, ReadOnlyMemory<byte> message)
    {
        var reader = new Utf8JsonReader(message.Span);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? eventType = null, eventId = null, tenantId = null;
        var bomMatches = false;
        var seen = 0; // one bit per routing field, to send a duplicate to the document path
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.ValueTextEquals("event_id"u8) ? 1
                : reader.ValueTextEquals("event_type"u8) ? 2
                : reader.ValueTextEquals("bom_id"u8) ? 4
                : reader.ValueTextEquals("tenant_id"u8) ? 8
                : 0;
            reader.Read();
            if (field == 0)
            {
                reader.Skip();
                continue;
            }

            if ((seen & field) != 0 || reader.TokenType != JsonTokenType.String)
            {
                return null;
            }

            seen |= field;
            switch (field)
            {
                case 1:
                    eventId = TryGetString(ref reader);
                    break;
                case 2:
                    eventType = ContractEventType(ref reader);
                    break;
                case 4:
                    bomMatches = reader.ValueTextEquals(bomId);
                    break;
                default:
                    tenantId = TryGetString(ref reader);
                    break;
            }
        }

        // Read to the end, as the document path does: a message invalid after its routing fields is not valid JSON.
        while (reader.Read())
        {
        }

        return seen == 15 && bomMatches && eventType is not null
               && tenantId is not null && EventTokens.IsSafe(tenantId)
               && eventId is not null && EventTokens.IsSafe(eventId) && EventLogId.TryParse(eventId, out _)
            ? new BusEvent(eventId, eventType, bomId, tenantId, message)
            : null;
    }

    // The contract's own name (the constant: no string per event), or null for a legacy or unknown type.
    private static string? ContractEventType(ref Utf8JsonReader reader)
    {
        var names = EnrichmentEventNames.BusEventTypes;
        for (var i = 0; i < names.Count; i++) // indexed: no enumerator per event
        {
            if (reader.ValueTextEquals(names[i]))
            {
                return names[i];
            }
        }

        return null;
    }

    // Null for a string that is no Unicode text (a lone surrogate escape): the document path decides about it.
    private static string? TryGetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static BusEvent? TryRead(string bomId, ReadOnlyMemory<byte> message, JsonElement root, out string? dropReason)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            dropReason = "not a JSON object";
            return null;
        }

        var rawType = GetString(root, "event_type");
        var eventType = EnrichmentEventNames.Normalize(rawType);
        if (eventType is null)
        {
            dropReason = "unknown event_type";
            return null;
        }

        var messageBomId = GetString(root, "bom_id");
        if (messageBomId is not null && messageBomId != bomId)
        {
            dropReason = "bom_id does not match the channel";
            return null;
        }

        var tenantId = GetString(root, "tenant_id");
        var isContract = tenantId is not null;
        tenantId ??= GetString(root, "organization_id");
        if (string.IsNullOrEmpty(tenantId) || !EventTokens.IsSafe(tenantId))
        {
            dropReason = "missing or invalid tenant";
            return null;
        }

        var eventId = GetString(root, "event_id");
        if (eventId is not null && !EventTokens.IsSafe(eventId))
        {
            dropReason = "invalid event_id";
            return null;
        }

        // Fast path: the bus's own envelope, already in contract form. Deliver the very bytes.
        if (isContract && rawType == eventType && messageBomId is not null && EventLogId.TryParse(eventId, out _))
        {
            dropReason = null;
            return new BusEvent(eventId, eventType, bomId, tenantId, message);
        }

        BusEvent busEvent;
        try
        {
            var envelope = new EnrichmentEnvelope
            {
                EventId = eventId ?? Guid.NewGuid().ToString("N"),
                EventType = eventType,
                BomId = bomId,
                TenantId = tenantId,
                CreatedAt = root.TryGetProperty("created_at", out var created) && created.TryGetDateTimeOffset(out var at)
                    ? at
                    : DateTimeOffset.UtcNow,
                State = root.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object
                    ? NormalizeLegacyState(bomId, eventType, state)
                    : null,
                Payload = root.TryGetProperty("payload", out var payload) && payload.ValueKind != JsonValueKind.Null
                    ? payload.Clone()
                    : null,
                Error = GetString(root, "error") ?? (eventType == EnrichmentEventNames.Failed ? GetString(root, "message") : null),
            };
            busEvent = new BusEvent(envelope.EventId, eventType, bomId, tenantId, EnrichmentJson.SerializeEnvelope(envelope));
        }
        catch (Exception ex) when (ex is JsonException or InvalidEventException)
        {
            // A state outside the contract, or a string that cannot be written back (a lone UTF-16 surrogate escape).
            dropReason = "state or payload does not match the contract";
            return null;
        }

        dropReason = null;
        return busEvent;
    }

    /// <summary>
    /// Maps a legacy state to the contract: <c>failed_items</c> (+ <c>not_found_items</c>) become <c>error_items</c>,
    /// then the contract's rules apply as to any publisher's state (<see cref="ProgressStateRules"/>). Unnamed fields are kept.
    /// </summary>
    internal static EnrichmentProgressState NormalizeLegacyState(string bomId, string eventType, JsonElement state)
    {
        var parsed = state.Deserialize(EnrichmentJsonContext.Default.EnrichmentProgressState)
                     ?? new EnrichmentProgressState();
        var errorItems = parsed.ErrorItems;
        if (!state.TryGetProperty("error_items", out _))
        {
            errorItems = GetInt(state, "failed_items") + GetInt(state, "not_found_items");
        }

        return ProgressStateRules.Normalize(bomId, eventType, parsed with { ErrorItems = errorItems });
    }

    private static int GetInt(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) ? i : 0;

    private static string? GetString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
