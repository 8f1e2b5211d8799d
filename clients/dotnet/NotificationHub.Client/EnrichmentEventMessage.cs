using System.Text.Json;
using System.Text.Json.Serialization;
using NotificationHub.Contracts;

namespace NotificationHub.Client;

/// <summary>
/// One event of a watched BOM, the same whatever the transport: the SSE <c>(id:, event:, data:)</c> or the
/// SignalR <c>{id, event, data}</c>. Every watch starts with <c>connected</c> and, unless cancelled, ends with
/// <c>stream_end</c>.
/// </summary>
/// <param name="Event">The event name (<see cref="EnrichmentEventNames"/>).</param>
/// <param name="Id">The event id, or null (<c>connected</c>, <c>stream_end</c>).</param>
/// <param name="Data">The data object: the envelope for bus events.</param>
public sealed record EnrichmentEventMessage(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("data")] JsonElement Data)
{
    /// <summary>The BOM the event is about.</summary>
    [JsonIgnore]
    public string? BomId =>
        Data.ValueKind == JsonValueKind.Object && Data.TryGetProperty("bom_id", out var bom) && bom.ValueKind == JsonValueKind.String
            ? bom.GetString()
            : null;

    /// <summary>True for <c>enrichment.started</c>, <c>progress</c>, <c>enrichment.completed</c> and <c>enrichment.failed</c>.</summary>
    [JsonIgnore]
    public bool IsBusEvent => EnrichmentEventNames.IsBusEventType(Event);

    /// <summary>True for <c>stream_end</c>: the last event of the watch.</summary>
    [JsonIgnore]
    public bool IsStreamEnd => Event == EnrichmentEventNames.StreamEnd;

    /// <summary>The envelope of a bus event.</summary>
    /// <exception cref="InvalidOperationException">Not a bus event.</exception>
    public EnrichmentEnvelope GetEnvelope() => IsBusEvent
        ? Data.Deserialize(EnrichmentJsonContext.Default.EnrichmentEnvelope) ?? throw new InvalidOperationException("Empty envelope.")
        : throw new InvalidOperationException($"A '{Event}' event carries no envelope.");

    /// <summary>The data of <c>connected</c>.</summary>
    public ConnectedEvent? AsConnected() => Event == EnrichmentEventNames.Connected
        ? Data.Deserialize(EnrichmentJsonContext.Default.ConnectedEvent)
        : null;

    /// <summary>The data of <c>stream_end</c>.</summary>
    public StreamEndEvent? AsStreamEnd() => IsStreamEnd ? Data.Deserialize(EnrichmentJsonContext.Default.StreamEndEvent) : null;
}

/// <summary>JSON metadata of the client's wire types.</summary>
[JsonSerializable(typeof(EnrichmentEventMessage))]
[JsonSerializable(typeof(BomNotice))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
