using System.Buffers;
using Microsoft.AspNetCore.Connections.Abstractions;
using Microsoft.AspNetCore.SignalR;
using NotificationHub.Bus;

namespace NotificationHub.Server.Hubs;

/// <summary>
/// Writes one BOM's stream to one hub connection as <c>EnrichmentEvent</c> invocations, serialized once per protocol
/// for every connection (see <see cref="SerializedHubEvents"/>), straight to the connection's
/// <see cref="HubConnectionContext"/>.
/// </summary>
/// <remarks>
/// <para>
/// As the SSE sink does, the events the pump takes in one go are sent as one write at <see cref="FlushAsync"/>: their
/// frames are copied into one buffer (rented while there is something to send) and written as they are
/// (<see cref="PreSerializedHubProtocol"/>: no lock, nothing allocated per send), so a burst costs one pipe flush,
/// one wake-up of SignalR's transport loop and one WebSocket frame instead of one each per event (issue #15 item 4).
/// The bytes on the wire are the same messages in the same order (the hub protocol frames every message itself;
/// clients read any number of messages per WebSocket frame, and SignalR's own transport already sends several per
/// frame whenever it falls behind). A stateful-reconnect connection numbers every message it is given for its acks
/// and replays, so it gets each event as its own message (the shared <see cref="SerializedHubMessage"/>), as before.
/// </para>
/// <para>
/// An interruption cancels the pending send; SignalR then aborts the connection itself (without a close message, so
/// clients reconnect), which is what a send blocked on a client that stopped reading deserves.
/// </para>
/// </remarks>
internal sealed class HubStreamSink(HubConnectionContext connection, Action abortConnection) : IStreamSink, IDisposable
{
    /// <summary>Past this many buffered bytes a burst is sent before the pump has taken all of it.</summary>
    private const int SendThreshold = 16 * 1024;

#pragma warning disable CA2252 // IStatefulReconnectFeature is marked preview; it is only looked for here.
    private readonly bool _oneMessagePerWrite = connection.Features.Get<IStatefulReconnectFeature>() is not null;
#pragma warning restore CA2252

    private readonly CancellationTokenSource _interrupt = new();
    private PreSerializedFrames? _frames;
    private byte[]? _buffer;
    private int _length;

    public ValueTask WriteEventAsync(BusEvent busEvent)
    {
        if (_oneMessagePerWrite)
        {
            return connection.WriteAsync(SerializedHubEvents.Get(busEvent), _interrupt.Token);
        }

        Append(SerializedHubEvents.Frame(busEvent, connection.Protocol).Span);
        return _length >= SendThreshold ? SendAsync(_interrupt.Token) : ValueTask.CompletedTask;
    }

    public void WriteKeepAlive()
    {
        // Never asked for: SignalR's own ping keeps the connection alive.
    }

    public ValueTask FlushAsync() => _length == 0 ? ValueTask.CompletedTask : SendAsync(_interrupt.Token);

    public ValueTask WriteBomEndAsync(string bomId, string reason)
    {
        if (_oneMessagePerWrite)
        {
            return connection.WriteAsync(SerializedHubEvents.StreamEnd(bomId, reason), _interrupt.Token);
        }

        Append(SerializedHubEvents.StreamEnd(bomId, reason).GetSerializedMessage(connection.Protocol).Span);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<bool> WriteEndAsync(IReadOnlyList<string> bomIds, string reason, CancellationToken cancellationToken)
    {
        foreach (var bomId in bomIds)
        {
            if (_oneMessagePerWrite)
            {
                await connection.WriteAsync(SerializedHubEvents.StreamEnd(bomId, reason), cancellationToken);
            }
            else
            {
                Append(SerializedHubEvents.StreamEnd(bomId, reason).GetSerializedMessage(connection.Protocol).Span);
            }
        }

        if (_length > 0)
        {
            await SendAsync(cancellationToken);
        }

        return true;
    }

    public void Interrupt() => _interrupt.Cancel();

    public void Abort() => abortConnection();

    /// <summary>After the pump returned (its signals, which call <see cref="Interrupt"/>, are gone by then).</summary>
    public void Dispose()
    {
        ReturnBuffer();
        _interrupt.Dispose();
    }

    private void Append(ReadOnlySpan<byte> frame)
    {
        if (_buffer is null || _buffer.Length - _length < frame.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(4096, (_length + frame.Length) * 2));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        frame.CopyTo(_buffer.AsSpan(_length));
        _length += frame.Length;
    }

    /// <summary>
    /// Writes the buffered frames as they are (<see cref="PreSerializedHubProtocol"/>). SignalR copies them into the
    /// connection's pipe before the write completes (or throws), so the buffer goes back to the pool then, sent or not:
    /// what an interrupted send did not send is not delivered (the client resumes from its last id), as with a slow
    /// consumer's unread events.
    /// </summary>
    private async ValueTask SendAsync(CancellationToken cancellationToken)
    {
        _frames ??= new PreSerializedFrames();
        _frames.Frames = _buffer.AsMemory(0, _length);
        try
        {
            await connection.WriteAsync(_frames, cancellationToken);
        }
        finally
        {
            _frames.Frames = default;
            ReturnBuffer();
        }
    }

    private void ReturnBuffer()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }
}
