using System.Text.Json;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using NotificationHub.Contracts;
using NotificationHub.MessagePackInterop;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The MessagePack form of the hub's messages: the same objects as the JSON protocol, as maps with the contract's
/// snake_case keys and JSON value types (timestamps are ISO 8601 strings, never MessagePack timestamps).
/// </summary>
public static class HubMessagePack
{
    /// <summary>Serializer options of the MessagePack hub protocol.</summary>
    public static MessagePackSerializerOptions SerializerOptions { get; } = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create(
            new SystemTextJsonMessagePackResolver(
                HubJsonContext.Default.Options,
                [typeof(BomSubscription), typeof(BomNotice)],
                new Dictionary<Type, IMessagePackFormatter> { [typeof(EnrichmentHubEvent)] = EnrichmentHubEventFormatter.Instance }),
            DynamicEnumAsStringResolver.Instance,
            ContractlessStandardResolver.Instance))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Writes <c>{"event","id","data"}</c> directly, <c>data</c> converted value by value from the envelope JSON.</summary>
    private sealed class EnrichmentHubEventFormatter : IMessagePackFormatter<EnrichmentHubEvent?>
    {
        public static readonly EnrichmentHubEventFormatter Instance = new();

        public void Serialize(ref MessagePackWriter writer, EnrichmentHubEvent? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteMapHeader(3);
            writer.Write("event");
            writer.Write(value.Event);
            writer.Write("id");
            writer.Write(value.Id);
            writer.Write("data");
            MessagePackJson.Write(ref writer, value.Data);
        }

        public EnrichmentHubEvent? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) =>
            reader.TryReadNil() ? null : MessagePackJson.Read(ref reader).Deserialize(HubJsonContext.Default.EnrichmentHubEvent);
    }
}
