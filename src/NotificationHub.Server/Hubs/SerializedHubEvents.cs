using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using NotificationHub.Bus;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The <c>EnrichmentEvent</c> invocation of a bus event as a <see cref="SerializedHubMessage"/>: SignalR serializes
/// it once per hub protocol (JSON, MessagePack) on first write and every connection gets the same bytes. The bus
/// hands the same <see cref="BusEvent"/> to every local subscriber, so the message is kept on the event (one encoding
/// slot: the event's JSON is parsed once, into the message's argument), with its bytes per protocol
/// (<see cref="HubEventFrames"/>).
/// </summary>
internal static class SerializedHubEvents
{
    private static readonly BusEventEncoding<HubEventFrames> Encoding =
        new(static e => new HubEventFrames(new SerializedHubMessage(Invocation(EnrichmentHubEvent.From(e)))));

    /// <summary>The shared message of <paramref name="busEvent"/>.</summary>
    public static SerializedHubMessage Get(BusEvent busEvent) => busEvent.GetEncoding(Encoding).Message;

    /// <summary>The framed bytes of <paramref name="busEvent"/>'s message in <paramref name="protocol"/>, read without a lock.</summary>
    public static ReadOnlyMemory<byte> Frame(BusEvent busEvent, IHubProtocol protocol) => busEvent.GetEncoding(Encoding).For(protocol);

    /// <summary>The <c>stream_end</c> message of a BOM (one connection's; not cached).</summary>
    public static SerializedHubMessage StreamEnd(string bomId, string reason) =>
        new(Invocation(EnrichmentHubEvent.StreamEnd(bomId, reason)));

    private static InvocationMessage Invocation(EnrichmentHubEvent hubEvent) =>
        new(EnrichmentHub.EventMethod, [hubEvent]);
}
