using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using NotificationHub.Bus;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// One bus event's <c>EnrichmentEvent</c> invocation, framed per hub protocol straight from the envelope's bytes
/// (<see cref="HubInvocationFrames"/>) and kept where every connection reads it without a lock (issue #15 item 4).
/// The <see cref="SerializedHubMessage"/> is made only when a stateful-reconnect connection asks for it.
/// </summary>
internal sealed class HubEventFrames(BusEvent busEvent)
{
    private byte[]? _json;
    private byte[]? _messagePack;
    private SerializedHubMessage? _message;

    /// <summary>
    /// The shared message (stateful-reconnect connections need the message itself, for its sequence number); it
    /// parses the envelope and serializes per protocol, to the same bytes as <see cref="For"/>.
    /// </summary>
    public SerializedHubMessage Message =>
        Volatile.Read(ref _message)
        ?? Interlocked.CompareExchange(ref _message, new SerializedHubMessage(Invocation(EnrichmentHubEvent.From(busEvent))), null)
        ?? _message;

    /// <summary>The framed bytes of the invocation in <paramref name="protocol"/>, built once per protocol.</summary>
    public ReadOnlyMemory<byte> For(IHubProtocol protocol) => protocol.Name switch
    {
        "json" => Volatile.Read(ref _json) ?? Once(ref _json, HubInvocationFrames.Json(busEvent.EventType, busEvent.EventId, busEvent.Json.Span)),
        "messagepack" => Volatile.Read(ref _messagePack)
            ?? Once(ref _messagePack, HubInvocationFrames.MessagePack(busEvent.EventType, busEvent.EventId, busEvent.Json.Span)),
        _ => Message.GetSerializedMessage(protocol),
    };

    /// <summary>The invocation of <paramref name="hubEvent"/>.</summary>
    public static InvocationMessage Invocation(EnrichmentHubEvent hubEvent) => new(EnrichmentHub.EventMethod, [hubEvent]);

    // Concurrent first calls may build the frame twice; every caller gets the one that was published.
    private static byte[] Once(ref byte[]? slot, byte[] frame) => Interlocked.CompareExchange(ref slot, frame, null) ?? frame;
}
