using System.Text.Json;
using System.Text.Json.Serialization;
using NotificationHub.Bus;
using NotificationHub.Contracts;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The single argument of the client method <c>EnrichmentEvent</c>: one SSE event as an object. For any scenario a
/// SignalR client receives, per BOM, the same <c>(id, event, data)</c> sequence as an SSE client
/// (<c>connected</c> and <c>keepalive</c> aside).
/// </summary>
/// <param name="Event">The SSE <c>event:</c> name.</param>
/// <param name="Id">The SSE <c>id:</c>, or null (<c>stream_end</c>).</param>
/// <param name="Data">Exactly the object of the SSE <c>data:</c> line: the envelope, or the <c>stream_end</c> data.</param>
public sealed record EnrichmentHubEvent(
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("data")] JsonElement Data)
{
    /// <summary>The message of a bus event: its JSON parsed (once per event, see <see cref="SerializedHubEvents"/>).</summary>
    public static EnrichmentHubEvent From(BusEvent busEvent)
    {
        var reader = new Utf8JsonReader(busEvent.Json.Span);
        return new EnrichmentHubEvent(busEvent.EventType, busEvent.EventId, JsonElement.ParseValue(ref reader));
    }

    /// <summary>The <c>stream_end</c> message of a BOM.</summary>
    public static EnrichmentHubEvent StreamEnd(string bomId, string reason) =>
        new(EnrichmentEventNames.StreamEnd, null, JsonSerializer.SerializeToElement(
            new StreamEndEvent { BomId = bomId, Reason = reason }, EnrichmentJsonContext.Default.StreamEndEvent));
}

/// <summary>
/// What <c>SubscribeBom</c> returns: the data of the SSE <c>connected</c> event, plus <see cref="Ended"/>.
/// </summary>
public sealed record BomSubscription
{
    /// <summary>Always <c>connected</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = EnrichmentEventNames.Connected;

    /// <summary>The BOM subscribed to.</summary>
    [JsonPropertyName("bom_id")]
    public string BomId { get; init; } = "";

    /// <summary>Human-readable confirmation.</summary>
    [JsonPropertyName("message")]
    public string Message { get; init; } = "Stream connected";

    /// <summary>False when the resume id was no longer in the replay log: the snapshot follows instead of the missed events.</summary>
    [JsonPropertyName("recovered")]
    public bool Recovered { get; init; } = true;

    /// <summary>
    /// True when the client already has the terminal event (it resumed from it): nothing follows, not even
    /// <c>stream_end</c>, and the BOM is not watched (SSE answers 204 in this case).
    /// </summary>
    [JsonPropertyName("ended")]
    public bool Ended { get; init; }
}

/// <summary>Source-generated JSON metadata of the hub's messages (the JSON hub protocol uses it; names are explicit, never camelCased).</summary>
[JsonSerializable(typeof(EnrichmentHubEvent))]
[JsonSerializable(typeof(BomSubscription))]
[JsonSerializable(typeof(BomNotice))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class HubJsonContext : JsonSerializerContext;
