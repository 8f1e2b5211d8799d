using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// One bus event's <c>EnrichmentEvent</c> invocation: the <see cref="SerializedHubMessage"/> shared by every connection,
/// and its bytes per hub protocol kept again where they can be read without a lock.
/// <see cref="SerializedHubMessage.GetSerializedMessage"/> locks on every call, and the pumps of a BOM's connections
/// all ask for the same event at once (issue #15 item 4); after the first call per protocol they read a field here.
/// </summary>
internal sealed class HubEventFrames(SerializedHubMessage message)
{
    private StrongBox<ReadOnlyMemory<byte>>? _json;
    private StrongBox<ReadOnlyMemory<byte>>? _messagePack;

    /// <summary>The shared message (stateful-reconnect connections need the message itself, for its sequence number).</summary>
    public SerializedHubMessage Message => message;

    /// <summary>The framed bytes of the invocation in <paramref name="protocol"/>, serialized once per protocol.</summary>
    public ReadOnlyMemory<byte> For(IHubProtocol protocol) => protocol.Name switch
    {
        "json" => Cached(ref _json, protocol),
        "messagepack" => Cached(ref _messagePack, protocol),
        _ => message.GetSerializedMessage(protocol),
    };

    private ReadOnlyMemory<byte> Cached(ref StrongBox<ReadOnlyMemory<byte>>? slot, IHubProtocol protocol)
    {
        var cached = Volatile.Read(ref slot);
        if (cached is null)
        {
            // Concurrent first calls get the same bytes from the message's own (locked) cache.
            cached = new StrongBox<ReadOnlyMemory<byte>>(message.GetSerializedMessage(protocol));
            Volatile.Write(ref slot, cached);
        }

        return cached.Value;
    }
}
