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
            using var doc = JsonDocument.Parse(message);
            return TryRead(bomId, message, doc.RootElement, out dropReason);
        }
        catch (JsonException)
        {
            dropReason = "not valid JSON";
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
