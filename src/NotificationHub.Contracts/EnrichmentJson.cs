using System.Text.Json;

namespace NotificationHub.Contracts;

/// <summary>
/// The JSON form of the contract. Every producer and consumer of contract JSON (server, workers, the .NET
/// client, tests) goes through these options, so names and value types cannot drift.
/// </summary>
public static class EnrichmentJson
{
    /// <summary>Serializes an envelope to UTF-8 JSON.</summary>
    public static byte[] SerializeEnvelope(EnrichmentEnvelope envelope) =>
        JsonSerializer.SerializeToUtf8Bytes(envelope, EnrichmentJsonContext.Default.EnrichmentEnvelope);

    /// <summary>Parses an envelope from UTF-8 JSON; throws <see cref="JsonException"/> when malformed.</summary>
    public static EnrichmentEnvelope DeserializeEnvelope(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, EnrichmentJsonContext.Default.EnrichmentEnvelope)
        ?? throw new JsonException("The envelope is null.");
}
