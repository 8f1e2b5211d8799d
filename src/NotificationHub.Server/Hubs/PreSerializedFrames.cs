using Microsoft.AspNetCore.SignalR.Protocol;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Hub messages already framed in the connection's protocol, written as they are by <see cref="PreSerializedHubProtocol"/>.
/// One per <see cref="HubStreamSink"/>, reused for every send (SignalR copies the bytes into the connection's pipe
/// before the write completes), so that a send allocates nothing and takes no lock, unlike a
/// <see cref="Microsoft.AspNetCore.SignalR.SerializedHubMessage"/>.
/// </summary>
internal sealed class PreSerializedFrames : HubMessage
{
    /// <summary>The frames to write (one or more complete messages of the connection's protocol).</summary>
    public ReadOnlyMemory<byte> Frames { get; set; }
}
