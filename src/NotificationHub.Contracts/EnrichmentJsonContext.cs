using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotificationHub.Contracts;

/// <summary>Source-generated serialization metadata for the contract types.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(EnrichmentEnvelope))]
[JsonSerializable(typeof(EnrichmentProgressState))]
[JsonSerializable(typeof(ConnectedEvent))]
[JsonSerializable(typeof(MultiBomConnectedEvent))]
[JsonSerializable(typeof(StreamEndEvent))]
[JsonSerializable(typeof(KeepAliveEvent))]
[JsonSerializable(typeof(PublishEventRequest))]
[JsonSerializable(typeof(PublishEventResponse))]
[JsonSerializable(typeof(PublishBatchRequest))]
[JsonSerializable(typeof(PublishBatchResponse))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class EnrichmentJsonContext : JsonSerializerContext;
