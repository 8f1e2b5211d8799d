using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// A registered hub protocol (JSON, MessagePack) that also writes <see cref="PreSerializedFrames"/> as they are; every
/// other message, and everything read, is the wrapped protocol's. This lets <see cref="HubStreamSink"/> hand a
/// connection the bytes the hub serialized once per event (<see cref="SerializedHubEvents"/>) through
/// <see cref="HubConnectionContext.WriteAsync(HubMessage, CancellationToken)"/>, the one write path that neither
/// allocates nor locks per call (issue #15 item 4).
/// </summary>
internal sealed class PreSerializedHubProtocol(IHubProtocol inner) : IHubProtocol
{
    /// <summary>Wraps every protocol registered so far (call after the protocols are added).</summary>
    public static void WrapRegistered(IServiceCollection services)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IHubProtocol) && services[i].ImplementationType is { } type)
            {
                services[i] = ServiceDescriptor.Singleton<IHubProtocol>(provider =>
                    new PreSerializedHubProtocol((IHubProtocol)ActivatorUtilities.CreateInstance(provider, type)));
            }
        }
    }

    public string Name => inner.Name;

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message) =>
        inner.TryParseMessage(ref input, binder, out message);

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output)
    {
        if (message is PreSerializedFrames frames)
        {
            output.Write(frames.Frames.Span);
            return;
        }

        inner.WriteMessage(message, output);
    }

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) =>
        message is PreSerializedFrames frames ? frames.Frames.ToArray() : inner.GetMessageBytes(message);

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);
}
