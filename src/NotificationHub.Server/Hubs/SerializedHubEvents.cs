using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using NotificationHub.Bus;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// The <c>EnrichmentEvent</c> invocation of a bus event, framed once per hub protocol (JSON, MessagePack) from the
/// envelope's bytes; every connection gets the same bytes. The bus hands the same <see cref="BusEvent"/> to every
/// local subscriber, so the frames are kept on the event (one encoding slot, <see cref="HubEventFrames"/>).
/// </summary>
internal static class SerializedHubEvents
{
    private static readonly BusEventEncoding<HubEventFrames> Encoding =
        new(static e => new HubEventFrames(e));

    /// <summary>The shared message of <paramref name="busEvent"/> (for stateful-reconnect connections; made on first call).</summary>
    public static SerializedHubMessage Get(BusEvent busEvent) => busEvent.GetEncoding(Encoding).Message;

    /// <summary>The framed bytes of <paramref name="busEvent"/>'s message in <paramref name="protocol"/>, read without a lock.</summary>
    public static ReadOnlyMemory<byte> Frame(BusEvent busEvent, IHubProtocol protocol) => busEvent.GetEncoding(Encoding).For(protocol);

    /// <summary>The <c>stream_end</c> message of a BOM (one connection's; not cached).</summary>
    public static SerializedHubMessage StreamEnd(string bomId, string reason) =>
        new(HubEventFrames.Invocation(EnrichmentHubEvent.StreamEnd(bomId, reason)));
}
