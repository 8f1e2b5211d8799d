using System.Runtime.Serialization;
using System.Text.Json.Serialization;

namespace NotificationHub.LoadTest;

/// <summary>
/// The part of the hub's <c>EnrichmentEvent</c> argument the load tool reads (<c>data.payload</c>); the rest of the
/// envelope is skipped by both the JSON and the MessagePack deserializer.
/// </summary>
[DataContract]
public sealed class BenchHubEvent
{
    [DataMember(Name = "event")]
    [JsonPropertyName("event")]
    public string? Event { get; set; }

    [DataMember(Name = "data")]
    [JsonPropertyName("data")]
    public BenchEnvelope? Data { get; set; }
}

/// <summary>The envelope, as far as the load tool reads it.</summary>
[DataContract]
public sealed class BenchEnvelope
{
    [DataMember(Name = "payload")]
    [JsonPropertyName("payload")]
    public BenchPayload? Payload { get; set; }
}

/// <summary>The marker of <see cref="BenchMarker"/>.</summary>
[DataContract]
public sealed class BenchPayload
{
    [DataMember(Name = "bench_seq")]
    [JsonPropertyName("bench_seq")]
    public long Seq { get; set; }

    [DataMember(Name = "bench_ts")]
    [JsonPropertyName("bench_ts")]
    public long Ticks { get; set; }
}
